using System.Net;
using System.Net.Sockets;

namespace Appliance.Proxy.Tests.Integration;

/// <summary>Plain TCP to 127.0.0.1:port: the tunnel dialer's shape (no TLS of our own), for the test upstreams.</summary>
internal sealed class TcpDialer(int port) : IUpstreamDialer
{
    private int _dials;

    public int Dials => Volatile.Read(ref _dials);

    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _dials);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    public static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>Collects audit lines.</summary>
internal sealed class CollectingAuditSink : IProxyAuditSink
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

    public void Write(ReadOnlySpan<byte> line) => Lines.Enqueue(System.Text.Encoding.UTF8.GetString(line));
}
