using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Appliance.Proxy.Tests;

/// <summary>
/// The whole per-request path (parse, cached auth, route, rewrite, forward, relay) on in-memory pipes with
/// inline schedulers, so one request runs to completion synchronously on the calling thread: what
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> measures is exactly the proxy's work.
/// </summary>
internal sealed class InMemoryProxy : IAsyncDisposable
{
    public const string Token = "token-bench:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmw";

    private static readonly PipeOptions Inline = new(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);

    private readonly Pipe _clientToProxy = new(Inline);
    private readonly Pipe _proxyToClient = new(Inline);
    private readonly ProxyServer _server;
    private readonly Task _connection;

    public InMemoryProxy(byte[] response, ProxyOptions? options = null)
    {
        Assert.True(ProxyCaller.TryCreate("u-abc12", "Alice Example", "local://u-abc12", "token-bench", ["local://g-devs"], out ProxyCaller? caller));
        var clusters = new ClusterDirectory();
        clusters.Set(new ClusterUpstream("c-m-abc12", new InMemoryDialer(response), "10.0.0.5:6443", "eyJhbGciOiJSUzI1NiJ9.sa-token.c2ln"));
        _server = new ProxyServer(options ?? new ProxyOptions(), new CachedAuthenticator(Encoding.ASCII.GetBytes(Token), caller), clusters, new NullAuditSink());
        _connection = _server.ServeAsync(new DuplexPipe(_clientToProxy.Reader, _proxyToClient.Writer), "in-memory", CancellationToken.None);
    }

    /// <summary>Sends one request and takes the whole answer; returns its length (0 if it did not complete inline).</summary>
    public long Forward(byte[] request)
    {
        _clientToProxy.Writer.Write(request);
        ValueTask<FlushResult> flushed = _clientToProxy.Writer.FlushAsync();
        if (!flushed.IsCompletedSuccessfully)
        {
            return 0;
        }

        if (!_proxyToClient.Reader.TryRead(out ReadResult result))
        {
            return 0;
        }

        long length = result.Buffer.Length;
        _proxyToClient.Reader.AdvanceTo(result.Buffer.End);
        return length;
    }

    /// <summary>Sends bytes, ends the client's side, and returns everything the proxy answered once it is done.</summary>
    public async Task<byte[]> SendAndCloseAsync(byte[] bytes, TimeSpan within)
    {
        await _clientToProxy.Writer.WriteAsync(bytes);
        await _clientToProxy.Writer.CompleteAsync();
        Task finished = await Task.WhenAny(_connection, Task.Delay(within));
        Assert.True(ReferenceEquals(finished, _connection), "the connection did not end after the client closed");
        await _connection; // Throws if anything escaped the connection loop.
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

    /// <summary>A cache hit: one token compared as bytes, a completed ValueTask.</summary>
    private sealed class CachedAuthenticator(byte[] token, ProxyCaller caller) : IProxyAuthenticator
    {
        public ValueTask<ProxyAuthResult> AuthenticateAsync(ProxyCredentialScheme scheme, ReadOnlyMemory<byte> credential, ReadOnlyMemory<byte> clusterId, CancellationToken cancellationToken) =>
            new(credential.Span.SequenceEqual(token) ? ProxyAuthResult.Allowed(caller) : ProxyAuthResult.Unauthenticated);
    }

    private sealed class NullAuditSink : IProxyAuditSink
    {
        public void Write(ReadOnlySpan<byte> line)
        {
        }
    }

    private sealed class InMemoryDialer(byte[] response) : IUpstreamDialer
    {
        public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) => new(new InMemoryUpstream(response));
    }

    /// <summary>An upstream answering every request head with the same response, synchronously.</summary>
    private sealed class InMemoryUpstream(byte[] response) : Stream
    {
        private readonly byte[] _received = new byte[64 * 1024];
        private int _receivedLength;
        private int _responseOffset = -1;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            buffer.CopyTo(_received.AsSpan(_receivedLength));
            _receivedLength += buffer.Length;
            if (_received.AsSpan(0, _receivedLength).EndsWith("\r\n\r\n"u8))
            {
                _receivedLength = 0;
                _responseOffset = 0;
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return default;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_responseOffset < 0)
            {
                throw new InvalidOperationException("read with no request outstanding: the proxy would wait here");
            }

            int count = Math.Min(buffer.Length, response.Length - _responseOffset);
            response.AsSpan(_responseOffset, count).CopyTo(buffer);
            _responseOffset += count;
            if (_responseOffset == response.Length)
            {
                _responseOffset = -1;
            }

            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
