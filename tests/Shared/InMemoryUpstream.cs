using Appliance.Proxy;

namespace Appliance.Proxy.Testing;

// Test doubles of the proxy's seams, shared as source by the proxy tests, the benchmarks and
// bench/proxy-load.sh's host, so the three measure and check the same thing.

/// <summary>A cache hit of the auth layer: one token compared as bytes, a completed ValueTask.</summary>
internal sealed class StaticAuthenticator(byte[] token, ProxyCaller caller) : IProxyAuthenticator
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

/// <summary>An upstream inside the process (no socket): <see cref="FixedResponseUpstream"/>.</summary>
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
            throw new InvalidOperationException("a read with no request outstanding: the proxy would wait here");
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
