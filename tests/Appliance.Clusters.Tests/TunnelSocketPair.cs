using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace Appliance.Clusters.Tests;

/// <summary>Two real WebSockets over a loopback TCP connection: the server end and the client (agent) end.</summary>
internal sealed class TunnelSocketPair
{
    private TunnelSocketPair(WebSocket server, WebSocket client)
    {
        Server = server;
        Client = client;
    }

    public WebSocket Server { get; }

    public WebSocket Client { get; }

    public static async Task<TunnelSocketPair> CreateAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task connect = client.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(5));
        await connect.WaitAsync(TimeSpan.FromSeconds(5));
        accepted.NoDelay = true;

        // No WebSocket keep-alive: the tunnel's own pings are under test.
        WebSocket server = WebSocket.CreateFromStream(new NetworkStream(accepted, ownsSocket: true),
            new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        WebSocket clientSocket = WebSocket.CreateFromStream(new NetworkStream(client, ownsSocket: true),
            new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        return new TunnelSocketPair(server, clientSocket);
    }
}
