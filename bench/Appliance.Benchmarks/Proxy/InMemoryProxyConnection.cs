using System.Buffers;
using System.IO.Pipelines;
using Appliance.Proxy;

namespace Appliance.Benchmarks.Proxy;

/// <summary>
/// One proxy connection on in-memory pipes with inline schedulers, in front of an upstream that answers
/// every request head with a fixed response: a forwarded request runs start to end inside the client's flush,
/// so a benchmark operation is exactly the proxy's per-request work.
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
        _connection = server.ServeAsync(new DuplexPipe(_clientToProxy.Reader, _proxyToClient.Writer), "benchmark", CancellationToken.None);
    }

    /// <summary>Sends one request and takes the whole answer; 0 when it did not complete inline (a broken setup).</summary>
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

    public async ValueTask DisposeAsync()
    {
        await _clientToProxy.Writer.CompleteAsync();
        await _connection;
        await _server.DisposeAsync();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

/// <summary>The auth layer's cache hit: the token compared as bytes, a completed ValueTask.</summary>
internal sealed class CachedAuthenticator(byte[] token, ProxyCaller caller) : IProxyAuthenticator
{
    public ValueTask<ProxyAuthResult> AuthenticateAsync(ProxyCredentialScheme scheme, ReadOnlyMemory<byte> credential, ReadOnlyMemory<byte> clusterId, CancellationToken cancellationToken) =>
        new(credential.Span.SequenceEqual(token) ? ProxyAuthResult.Allowed(caller) : ProxyAuthResult.Unauthenticated);
}

internal sealed class NullAuditSink : IProxyAuditSink
{
    public void Write(ReadOnlySpan<byte> line)
    {
    }
}

internal sealed class InMemoryDialer(byte[] response) : IUpstreamDialer
{
    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) => new(new FixedResponseUpstream(response));
}

/// <summary>Answers each request head (no bodies) with the same response, synchronously.</summary>
internal sealed class FixedResponseUpstream(byte[] response) : Stream
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
            throw new InvalidOperationException("a read with no request outstanding would wait");
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
