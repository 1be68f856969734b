using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Proxy.Tests.Integration;

/// <summary>
/// Kestrel on 127.0.0.1 with TLS, the proxy middleware and one ordinary API endpoint, in front of test
/// upstreams: c1 (a recording upstream whose behaviour is chosen by path), c2 (another recording upstream),
/// tls / badca / wrongname (the direct TLS dialer), dead (nothing listening). Shared per test class.
/// </summary>
public sealed class ProxyFixture : IAsyncLifetime
{
    public static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(2);

    private WebApplication? _app;

    internal TestUpstream Upstream { get; private set; } = null!;

    internal TestUpstream Other { get; private set; } = null!;

    internal TestUpstream Tls { get; private set; } = null!;

    internal TestUpstream WrongName { get; private set; } = null!;

    internal TestAuthenticator Authenticator { get; } = new();

    internal CollectingAuditSink Audit { get; } = new();

    internal ClusterDirectory Clusters { get; } = new();

    internal ProxyServer Proxy { get; private set; } = null!;

    internal CapturingLoggerProvider Logs { get; } = new();

    internal TcpDialer UpstreamDialer { get; private set; } = null!;

    private int _silentlyClosed;

    /// <summary>Connections the upstream closed after answering /close-silently.</summary>
    internal int SilentlyClosed => Volatile.Read(ref _silentlyClosed);

    /// <summary>Released by a test to let the slow chunked response finish.</summary>
    internal SemaphoreSlim SlowGate { get; } = new(0);

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        Upstream = new TestUpstream(HandleAsync);
        Other = new TestUpstream(TestUpstream.DefaultHandler);
        Tls = new TestUpstream(TestUpstream.DefaultHandler, TestCertificates.ClusterLeaf);
        Tls.Handler = HandleAsync; // The same behaviours behind the direct TLS dialer.
        WrongName = new TestUpstream(TestUpstream.DefaultHandler, TestCertificates.WrongNameLeaf);
        UpstreamDialer = new TcpDialer(Upstream.Port);

        Clusters.Set(new ClusterUpstream("c1", UpstreamDialer, "10.0.0.5:6443", "sa-token-c1"));
        Clusters.Set(new ClusterUpstream("c2", new TcpDialer(Other.Port), "10.0.0.6:6443", "sa-token-c2"));
        Clusters.Set(new ClusterUpstream("tls", new DirectUpstreamDialer("127.0.0.1", Tls.Port, [TestCertificates.ClusterCa]), $"127.0.0.1:{Tls.Port}", "sa-token-tls"));
        Clusters.Set(new ClusterUpstream("badca", new DirectUpstreamDialer("127.0.0.1", Tls.Port, [TestCertificates.OtherCa]), $"127.0.0.1:{Tls.Port}", "sa-token-tls"));
        Clusters.Set(new ClusterUpstream("wrongname", new DirectUpstreamDialer("127.0.0.1", WrongName.Port, [TestCertificates.WrongNameCa]), $"127.0.0.1:{WrongName.Port}", "sa-token-tls"));
        Clusters.Set(new ClusterUpstream("dead", new TcpDialer(TcpDialer.ClosedPort()), "10.0.0.9:6443", "sa-token-dead"));

        var options = new ProxyOptions
        {
            RequestHeadersTimeout = ShortTimeout,
            KeepAliveTimeout = ShortTimeout,
            UpstreamConnectTimeout = ShortTimeout,
            UpstreamResponseHeadersTimeout = ShortTimeout,
            RequestBodyIdleTimeout = ShortTimeout,
        };
        Proxy = new ProxyServer(options, Authenticator, Clusters, Audit, LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs)));

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.UseHttps(TestCertificates.ServerCertificate);
            listen.UseApplianceProxy(Proxy);
        }));
        _app = builder.Build();
        _app.MapGet("/api/ping", () => "pong");
        _app.MapGet("/k8s", () => "not the proxy");
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
    }

    public async Task DisposeAsync()
    {
        SlowGate.Release(100);
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
        await Other.DisposeAsync();
        await Tls.DisposeAsync();
        await WrongName.DisposeAsync();
    }

    internal Task<RawClient> ConnectAsync() => RawClient.ConnectAsync(Port);

    /// <summary>Polls until the condition holds or the time is up; never a fixed sleep.</summary>
    internal static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? within = null)
    {
        DateTime deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    private static Task WriteJsonAsync(UpstreamExchange exchange, string json) =>
        exchange.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(json)}\r\n\r\n{json}");

    /// <summary>c1's behaviour, chosen by the upstream path.</summary>
    private async Task HandleAsync(UpstreamExchange exchange)
    {
        string target = exchange.Request.Target;
        string path = target.Split('?')[0];
        switch (path)
        {
            case "/slow-chunked":
                await exchange.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nfirst-event\r\n");
                await exchange.Stream.FlushAsync();
                await SlowGate.WaitAsync(TimeSpan.FromSeconds(15));
                await exchange.WriteAsync("c\r\nsecond-event\r\n0\r\n\r\n");
                break;
            case "/idle-watch":
                // One event, then silence; reading meanwhile is how this upstream notices the proxy hanging up.
                await exchange.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nfirst-event\r\n");
                await exchange.Stream.FlushAsync();
                using (var idle = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    try
                    {
                        if ((await exchange.Reader.ReadSomeAsync(idle.Token)).Length == 0)
                        {
                            Upstream.ClosedByPeer.Add(exchange.Request.Connection);
                        }
                    }
                    catch (IOException)
                    {
                        Upstream.ClosedByPeer.Add(exchange.Request.Connection);
                    }
                }

                exchange.Done = true;
                break;
            case "/chunked":
                await exchange.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
                break;
            case "/hang":
                try
                {
                    await Task.Delay(Timeout.Infinite, Upstream.Stopping);
                }
                catch (OperationCanceledException)
                {
                }

                exchange.Done = true;
                break;
            case "/reset":
                exchange.Socket.LingerState = new LingerOption(true, 0);
                exchange.Socket.Close();
                exchange.Done = true;
                break;
            case "/die-mid-body":
                await exchange.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
                await exchange.Stream.FlushAsync();
                exchange.Socket.LingerState = new LingerOption(true, 0);
                exchange.Socket.Close();
                exchange.Done = true;
                break;
            case "/echo" when exchange.Request.Header("Upgrade") is { } protocol:
                await exchange.WriteAsync($"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: {protocol}\r\n\r\n");
                await exchange.Stream.FlushAsync();
                while (true)
                {
                    byte[] some = await exchange.Reader.ReadSomeAsync();
                    if (some.Length == 0)
                    {
                        break;
                    }

                    await exchange.Stream.WriteAsync(some);
                    await exchange.Stream.FlushAsync();
                }

                // The client half-closed; its answer still gets through before the upstream closes.
                await exchange.WriteAsync("bye\r\n");
                await exchange.Stream.FlushAsync();
                exchange.Socket.Shutdown(SocketShutdown.Send);
                exchange.Done = true;
                break;
            case "/upgrade-refused":
                await exchange.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"upgrade\":false}");
                break;
            case "/no-content":
                await exchange.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n");
                break;
            case "/until-close":
                await exchange.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody-until-close");
                await exchange.Stream.FlushAsync();
                exchange.Socket.Shutdown(SocketShutdown.Send);
                exchange.Done = true;
                break;
            case "/interim":
                await exchange.WriteAsync("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                break;
            case "/response-hop":
                await exchange.WriteAsync("HTTP/1.1 200 OK\r\nConnection: X-Hop-Only\r\nX-Hop-Only: 1\r\nKeep-Alive: timeout=5\r\nX-End-To-End: 1\r\nContent-Length: 2\r\n\r\nok");
                break;
            case "/ambiguous-response":
                await exchange.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
                break;
            case "/early-forbidden":
                // Go's net/http with an unread body: the answer, FIN, a moment for the client to read it, then
                // close with the body unread, which resets the connection.
                await exchange.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 31\r\n\r\n{\"reason\":\"Forbidden\",\"x\":\"yz\"}");
                await exchange.Stream.FlushAsync();
                exchange.Socket.Shutdown(SocketShutdown.Send);
                await Task.Delay(300);
                exchange.Socket.Close();
                exchange.Done = true;
                break;
            case "/close-silently":
                // A keep-alive answer, then the connection closed without a word, as a server's idle timeout does.
                await exchange.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                await exchange.Stream.FlushAsync();
                exchange.Socket.Close();
                Interlocked.Increment(ref _silentlyClosed);
                exchange.Done = true;
                break;
            case "/close-after":
                await exchange.WriteAsync("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
                await exchange.Stream.FlushAsync();
                exchange.Socket.Shutdown(SocketShutdown.Send);
                exchange.Done = true;
                break;
            case "/version":
                await WriteJsonAsync(exchange, "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.4\",\"gitCommit\":\"0000000\",\"gitTreeState\":\"clean\",\"buildDate\":\"2025-04-22T00:00:00Z\",\"goVersion\":\"go1.23.6\",\"compiler\":\"gc\",\"platform\":\"linux/amd64\"}");
                break;
            case "/api":
                await WriteJsonAsync(exchange, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"10.0.0.5:6443\"}]}");
                break;
            case "/api/v1/namespaces/default/configmaps":
                await WriteJsonAsync(exchange, "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"42\"},\"items\":[{\"metadata\":{\"name\":\"from-the-fake-upstream\",\"namespace\":\"default\"},\"data\":{\"k\":\"v\"}}]}");
                break;
            default:
                await TestUpstream.DefaultHandler(exchange);
                break;
        }
    }
}
