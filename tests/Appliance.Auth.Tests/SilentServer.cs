using System.Net;
using System.Net.Sockets;

namespace Appliance.Auth.Tests;

/// <summary>Accepts TCP connections on a loopback port and never sends a byte: a hung directory.</summary>
internal sealed class SilentServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly List<Socket> _accepted = [];
    private readonly Task _acceptLoop;

    public SilentServer(IPAddress? address = null, int port = 0)
    {
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    public int Port { get; }

    public int Accepted
    {
        get
        {
            lock (_accepted)
            {
                return _accepted.Count;
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync();
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
        catch (SocketException)
        {
            // The listener stopped.
        }
        catch (ObjectDisposedException)
        {
            // The listener stopped.
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _acceptLoop.Wait(TimeSpan.FromSeconds(5));
        lock (_accepted)
        {
            // Closing the connections releases the client thread still blocked in its bind.
            foreach (var socket in _accepted)
            {
                socket.Dispose();
            }
        }
    }
}
