using System.Net.Security;
using System.Net.Sockets;

namespace Appliance.Proxy;

/// <summary>TLS over a socket the proxy can still reach: to probe an idle pooled connection and to half-close.</summary>
internal sealed class DirectUpstreamStream : SslStream, IHalfClosable
{
    public DirectUpstreamStream(Socket socket)
        : base(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false) => Socket = socket;

    public Socket Socket { get; }

    /// <summary>close_notify, then FIN: the upstream reads the end of the client's stream and can still answer.</summary>
    public async ValueTask ShutdownWriteAsync()
    {
        await ShutdownAsync().ConfigureAwait(false);
        Socket.Shutdown(SocketShutdown.Send);
    }
}
