using System.Net;
using System.Net.Security;
using Appliance.Api;
using Appliance.Api.Security;
using Appliance.Clusters;
using Appliance.Clusters.Agents;
using Appliance.Clusters.Controllers;
using Appliance.Clusters.Downstream;
using Appliance.Clusters.Registration;
using Appliance.Clusters.Tunnel;
using Appliance.Proxy;
using Appliance.Auth;
using Appliance.Health;
using Appliance.Store;
using Appliance.Tls;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Server;

/// <summary>The composition root of `appliance server`: every part is added and mapped here, and nowhere else.</summary>
public static class ApplianceServer
{
    public static async Task<int> RunAsync(ServerSettings settings, CancellationToken cancellationToken)
    {
        DataDirectory dataDir = DataDirectory.Open(settings.DataDir);
        // One logger factory for the whole process, so the parts opened before the web host (TLS,
        // store) log exactly like everything after; disposing it flushes the console at exit.
        using ILoggerFactory logging = LoggerFactory.Create(Logging.Configure);

        IReadOnlyList<string> names = ServerCertificates.DefaultSubjectAlternativeNames(settings.TlsSubjectAlternativeNames);
        ServerCertificates certificates = ServerCertificates.LoadOrCreate(dataDir.TlsPath, names, TimeProvider.System, logging.CreateLogger("Appliance.Tls"));

        WebApplication app = Build(settings, dataDir, logging, certificates);
        await app.RunAsync(cancellationToken);
        return 0;
    }

    private static WebApplication Build(ServerSettings settings, DataDirectory dataDir, ILoggerFactory logging, ServerCertificates certificates)
    {
        // The empty builder reads no appsettings.json or environment config: everything the server
        // does is on its command line, so two servers started alike behave alike.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "appliance",
            ContentRootPath = dataDir.Path,
        });

        builder.Services.AddSingleton(logging);
        builder.Services.AddSingleton(certificates);
        builder.Services.AddSingleton(TimeProvider.System);
        // Hosted services stop in reverse order of start, and the web server starts last: the store
        // opens before the first request and closes after the last in-flight request has finished.
        builder.Services.AddApplianceStore(store => store.DatabasePath = dataDir.StorePath);
        builder.Services.AddApplianceAuth(dataDir.Path);
        builder.Services.AddApplianceApi(api =>
        {
            api.AuditLogPath = Path.Combine(dataDir.Path, "audit", "api.log");
            // Written into the kubeconfigs a login hands out (responseType: kubeconfig).
            api.CaCertificatePem = File.ReadAllText(certificates.CertificateAuthorityPath);
        });
        builder.Services.AddSingleton(dataDir);
        builder.Services.AddHostedService<AdminCredentials>();
        AddProxy(builder.Services, dataDir);
        AddClusters(builder.Services, certificates);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = settings.ShutdownTimeout);

        Task<SslServerAuthenticationOptions> tls = certificates.CreateServerTlsOptionsAsync();
        // The proxy runs on the socket threads; the API's requests leave them (LeaveSocketThread below).
        builder.WebHost.UseInlineSocketScheduling();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            settings.Listen.Listen(kestrel, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => new ValueTask<SslServerAuthenticationOptions>(tls),
                });
                // Connections whose first request is for /k8s/clusters/ are the proxy's; the rest go on to Kestrel.
                listen.UseApplianceProxy(kestrel.ApplicationServices.GetRequiredService<ProxyServer>());
            });
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddApplianceHealth();

        WebApplication app = builder.Build();
        app.LeaveSocketThread();
        app.MapHealthEndpoints();
        // The process's meters in Prometheus' format, behind the API's authentication and RBAC (nonResourceURL /metrics), as kube-apiserver's.
        var metrics = new PrometheusMetrics();
        app.Lifetime.ApplicationStopped.Register(metrics.Dispose);
        _ = app.Services.GetRequiredService<TunnelMetrics>();
        app.MapGet("/metrics", context => context.RequestServices.GetRequiredService<ApiSecurity>().InvokeAsync(context, metrics.WriteAsync));
        // Kubernetes-shaped, as every client expects; public like kube-apiserver's (system:public-info-viewer).
        BuildInfo build = BuildInfo.Current;
        app.MapGet("/version", KubernetesVersion.Handler(KubernetesVersion.Create(build.Version, build.Commit, build.BuildDate)));
        app.MapGet("/version/appliance", () => TypedResults.Json(build, ApplianceJsonContext.Default.BuildInfo));
        app.MapApplianceApi();
        app.UseWebSockets();
        app.MapClusterEndpoints();

        ReportLifecycle(app, settings, certificates);
        return app;
    }

    /// <summary>
    /// The auth proxy: tokens through the auth layer, access by <see cref="ClusterAccess"/>, clusters kept in
    /// step by <see cref="DirectClusters"/>, audit lines in <c>DATA_DIR/audit/proxy.log</c>. Its store-backed
    /// parts are resolved on first use: Kestrel mounts the proxy before the store has opened.
    /// </summary>
    private static void AddProxy(IServiceCollection services, DataDirectory dataDir)
    {
        services.AddSingleton(new ProxyOptions());
        services.AddSingleton<ClusterDirectory>();
        services.AddSingleton(_ => new FileAuditSink(Path.Combine(dataDir.Path, "audit", "proxy.log")));
        services.AddSingleton(provider => new ProxyServer(
            provider.GetRequiredService<ProxyOptions>(),
            new TokenProxyAuthenticator(
                () => provider.GetRequiredService<TokenAuthenticator>(),
                (user, clusterId) => provider.GetRequiredService<ClusterAccess>().MayUseCluster(user, clusterId),
                provider.GetRequiredService<TimeProvider>()),
            provider.GetRequiredService<ClusterDirectory>(),
            provider.GetRequiredService<FileAuditSink>(),
            provider.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<DirectClusters>();
        services.AddHostedService(static provider => provider.GetRequiredService<DirectClusters>());
    }

    /// <summary>Agent clusters: registration, their tunnels (<c>/v3/connect</c>) and the controllers that keep their status.</summary>
    private static void AddClusters(IServiceCollection services, ServerCertificates certificates)
    {
        services.AddSingleton(new ClustersOptions { CaCertificatePem = File.ReadAllText(certificates.CertificateAuthorityPath) });
        services.AddSingleton(new TunnelOptions());
        services.AddSingleton<ServerObjects>();
        services.AddSingleton<RegistrationTokens>();
        services.AddSingleton<AgentSessions>();
        services.AddSingleton<DownstreamClients>();
        services.AddSingleton<TunnelMetrics>();
        services.AddHostedService<ClusterStatusController>();
        services.AddHostedService<RbacPushDownController>();
    }

    private static void ReportLifecycle(WebApplication app, ServerSettings settings, ServerCertificates certificates)
    {
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Appliance");
        var systemd = new SystemdNotifier(logger);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            string? firstAddress = null;
            foreach (string address in app.Urls)
            {
                firstAddress ??= address;
                Log.Listening(logger, address);
            }

            Log.Ready(logger, BuildInfo.Current.Version, PublicUrl(firstAddress), certificates.CertificateAuthorityPath);
            systemd.Notify("READY=1");
        });
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            Log.ShuttingDown(logger, settings.ShutdownTimeout.TotalSeconds);
            systemd.Notify("STOPPING=1");
        });
        app.Lifetime.ApplicationStopped.Register(() => Log.Stopped(logger));
    }

    /// <summary>The URL to tell a person: a wildcard bind is reachable by this host's name.</summary>
    private static string PublicUrl(string? boundAddress)
    {
        if (boundAddress is null || !Uri.TryCreate(boundAddress, UriKind.Absolute, out Uri? uri))
        {
            return boundAddress ?? "";
        }

        bool wildcard = IPAddress.TryParse(uri.Host.Trim('[', ']'), out IPAddress? ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any));
        return wildcard ? $"https://{Dns.GetHostName().ToLowerInvariant()}:{uri.Port}/" : $"{boundAddress}/";
    }
}
