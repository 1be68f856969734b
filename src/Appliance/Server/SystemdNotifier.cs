using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Appliance.Server;

/// <summary>
/// sd_notify(3): tells systemd (Type=notify) when the server is ready and when it stops. A few lines
/// over a Unix datagram socket rather than Microsoft.Extensions.Hosting.Systemd, which only speaks
/// when its parent process is systemd itself; this follows the protocol's real contract, NOTIFY_SOCKET.
/// </summary>
internal sealed class SystemdNotifier(ILogger logger)
{
    private readonly string? _socketPath = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");

    public void Notify(string state)
    {
        if (string.IsNullOrEmpty(_socketPath))
        {
            return;
        }

        // A leading '@' names a socket in Linux's abstract namespace, which .NET spells with a NUL.
        string path = _socketPath[0] == '@' ? "\0" + _socketPath[1..] : _socketPath;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.ASCII.GetBytes(state));
        }
        catch (SocketException e)
        {
            Log.SystemdNotifyFailed(logger, _socketPath, e.Message);
        }
    }
}
