using System.Collections.Concurrent;
using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Auth.Tests;

/// <summary>
/// A free loopback port in the test's network namespace that leads to a port on 127.0.0.1 inside
/// another network namespace (the private one Samba's DC runs in, where it holds 389 and 636 without
/// colliding with anything on the machine). Each upstream socket is made by a short-lived thread that
/// has joined the target namespace: a socket belongs to the namespace it was created in, wherever it is
/// used from afterwards. Bytes are copied both ways unchanged, so TLS, StartTLS included, runs end to end.
/// </summary>
internal sealed class SambaNamespaceRelay : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly SafeFileHandle _namespace;
    private readonly int _targetPort;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;

    /// <param name="namespacePath">A network namespace file, such as <c>/proc/PID/ns/net</c> of a process in it; held open while the relay lives.</param>
    public SambaNamespaceRelay(string namespacePath, int targetPort)
    {
        _namespace = File.OpenHandle(namespacePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The port on 127.0.0.1 in the test's namespace.</summary>
    public int Port { get; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        Socket? upstream = null;
        _open.TryAdd(client, 0);
        try
        {
            upstream = CreateSocketInNamespace();
            _open.TryAdd(upstream, 0);
            await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            await Task.WhenAll(CopyAsync(client, upstream), CopyAsync(upstream, client));
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // A side hung up or the relay stopped: both sockets close below.
        }
        finally
        {
            Close(client);
            if (upstream is not null)
            {
                Close(upstream);
            }
        }
    }

    /// <summary>Copies until the source ends, then passes the end on (half-close), as TCP would.</summary>
    private async Task CopyAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One direction failed: end both, or the other copy would wait forever.
            Close(from);
            Close(to);
        }
    }

    private void Close(Socket socket)
    {
        if (_open.TryRemove(socket, out _))
        {
            socket.Dispose();
        }
    }

    private Socket CreateSocketInNamespace()
    {
        Socket? socket = null;
        Exception? failure = null;
        // A thread of its own that ends right after: it never runs anything else in the other namespace.
        var thread = new Thread(() =>
        {
            try
            {
                if (setns((int)_namespace.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), "setns into Samba's network namespace failed");
                }

                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException("No socket could be made in Samba's network namespace.", failure);
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled in the test project for one call.
    private static extern int setns(int fd, int nstype);
#pragma warning restore SYSLIB1054

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var socket in _open.Keys)
        {
            Close(socket);
        }

        _accepting.Wait(TimeSpan.FromSeconds(5));
        _namespace.Dispose();
        _stop.Dispose();
    }
}
