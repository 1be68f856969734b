using System.Buffers;
using System.IO.Pipelines;
using Appliance.Proxy;

namespace Appliance.Proxy.Testing;

/// <summary>
/// One proxy connection on in-memory pipes with inline schedulers: a forwarded request runs start to end
/// inside the client's flush on the calling thread, so what a benchmark or an allocation test measures is
/// exactly the proxy's per-request work. Shared as source by the proxy tests and the benchmarks.
/// </summary>
internal sealed class InMemoryProxyConnection : IAsyncDisposable
{
    private static readonly PipeOptions Inline = new(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);

    private readonly Pipe _clientToProxy = new(Inline);
    private readonly Pipe _proxyToClient = new(Inline);
    private readonly ProxyServer _server;
    private readonly Task _connection;

    public InMemoryProxyConnection(ProxyServer server)
    {
        _server = server;
        _connection = server.ServeAsync(new DuplexPipe(_clientToProxy.Reader, _proxyToClient.Writer), "in-memory", CancellationToken.None);
    }

    /// <summary>Sends one request and takes the whole answer; returns its length, 0 when it did not complete inline.</summary>
    public long Forward(byte[] request)
    {
        _clientToProxy.Writer.Write(request);
        ValueTask<FlushResult> flushed = _clientToProxy.Writer.FlushAsync();
        if (!flushed.IsCompletedSuccessfully || !_proxyToClient.Reader.TryRead(out ReadResult result))
        {
            return 0;
        }

        long length = result.Buffer.Length;
        _proxyToClient.Reader.AdvanceTo(result.Buffer.End);
        return length;
    }

    /// <summary>
    /// Sends bytes, ends the client's side, and returns everything the proxy answered once the connection has
    /// ended; throws when it does not end within <paramref name="within"/> or when anything escaped its loop.
    /// </summary>
    public async Task<byte[]> SendAndCloseAsync(byte[] bytes, TimeSpan within)
    {
        await _clientToProxy.Writer.WriteAsync(bytes);
        await _clientToProxy.Writer.CompleteAsync();
        Task finished = await Task.WhenAny(_connection, Task.Delay(within));
        if (!ReferenceEquals(finished, _connection))
        {
            throw new TimeoutException("the connection did not end after the client closed");
        }

        await _connection;
        await _proxyToClient.Writer.CompleteAsync();
        var answer = new MemoryStream();
        while (true)
        {
            ReadResult result = await _proxyToClient.Reader.ReadAsync();
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                answer.Write(segment.Span);
            }

            _proxyToClient.Reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return answer.ToArray();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _clientToProxy.Writer.CompleteAsync();
        try
        {
            await _connection;
        }
        catch (Exception)
        {
            // Reported by SendAndCloseAsync where it matters.
        }

        await _server.DisposeAsync();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
