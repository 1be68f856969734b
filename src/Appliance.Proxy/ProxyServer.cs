using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Proxy;

/// <summary>
/// The proxy's shared state: options, the auth and cluster seams, the audit log. One per process; mount it on
/// the HTTPS listener with <see cref="ProxyListenOptionsExtensions.UseApplianceProxy"/>.
/// </summary>
public sealed class ProxyServer : IAsyncDisposable
{
    public ProxyServer(
        ProxyOptions options,
        IProxyAuthenticator authenticator,
        IClusterDirectory clusters,
        IProxyAuditSink auditSink,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(authenticator);
        ArgumentNullException.ThrowIfNull(clusters);
        ArgumentNullException.ThrowIfNull(auditSink);
        options.Validate();
        Options = options;
        Authenticator = authenticator;
        Clusters = clusters;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Appliance.Proxy");
        Audit = new ProxyAuditLog(auditSink, options.AuditQueueCapacity, Logger, options.TimeProvider);
    }

    /// <summary>Audit lines lost because the sink fell behind (see <see cref="ProxyOptions.AuditQueueCapacity"/>).</summary>
    public long AuditLinesDropped => Audit.Dropped;

    internal ProxyOptions Options { get; }

    internal IProxyAuthenticator Authenticator { get; }

    internal IClusterDirectory Clusters { get; }

    internal ILogger Logger { get; }

    internal ProxyAuditLog Audit { get; }

    internal TimeProvider Time => Options.TimeProvider;

    /// <summary>Flushes the audit lines still queued.</summary>
    public ValueTask DisposeAsync() => Audit.DisposeAsync();

    /// <summary>
    /// Serves a connection the proxy owns until the client leaves, a request is refused, or a timeout.
    /// The caller closes the transport afterwards.
    /// </summary>
    /// <param name="connectionClosed">Fires when the client's socket closes (Kestrel's ConnectionClosed).</param>
    internal Task ServeAsync(IDuplexPipe transport, string connectionId, CancellationToken connectionClosed) =>
        new ProxyConnection(this, transport, connectionId, connectionClosed).RunAsync();
}
