using Microsoft.Extensions.Logging;

namespace Appliance.Proxy;

/// <summary>The proxy's log events, EventIds 6000-6099. Never a token, a secret or a header value.</summary>
internal static partial class Log
{
    [LoggerMessage(6000, LogLevel.Debug, "Proxy connection {ConnectionId} rejected a request: {Reason}")]
    public static partial void RequestRejected(ILogger logger, string connectionId, string reason);

    [LoggerMessage(6001, LogLevel.Warning, "Cluster {ClusterId}: could not connect to the API server")]
    public static partial void UpstreamConnectFailed(ILogger logger, string clusterId, Exception exception);

    [LoggerMessage(6002, LogLevel.Warning, "Cluster {ClusterId}: no response head within {Timeout}")]
    public static partial void UpstreamTimedOut(ILogger logger, string clusterId, TimeSpan timeout);

    [LoggerMessage(6003, LogLevel.Warning, "Cluster {ClusterId}: invalid response from the API server")]
    public static partial void UpstreamInvalidResponse(ILogger logger, string clusterId);

    [LoggerMessage(6004, LogLevel.Error, "Cluster {ClusterId}: the upstream request head failed the identity check ({Error}); nothing was sent")]
    public static partial void RewriteRefused(ILogger logger, string clusterId, RewriteError error);

    [LoggerMessage(6005, LogLevel.Debug, "Proxy connection {ConnectionId} ended")]
    public static partial void ConnectionFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(6006, LogLevel.Warning, "The audit sink failed; the line was lost")]
    public static partial void AuditSinkFailed(ILogger logger, Exception exception);

    [LoggerMessage(6007, LogLevel.Debug, "Proxy connection {ConnectionId}: slow or idle client timed out")]
    public static partial void ClientTimedOut(ILogger logger, string connectionId);

    [LoggerMessage(6008, LogLevel.Information, "Proxy connection {ConnectionId}: a state-changing request authenticated by the session cookie had no matching X-API-CSRF header; refused")]
    public static partial void CsrfRefused(ILogger logger, string connectionId);

    [LoggerMessage(6009, LogLevel.Debug, "Cluster {ClusterId}: a kept-alive connection was closed by the API server; the request goes again on a new one")]
    public static partial void UpstreamClosedIdle(ILogger logger, string clusterId);

    [LoggerMessage(6020, LogLevel.Information, "Cluster {ClusterId}: unavailable ({Reason})")]
    public static partial void ClusterUnavailable(ILogger logger, string clusterId, string reason);
}
