namespace Appliance.Proxy;

/// <summary>
/// Where the proxy's audit lines go (a file, stdout for journald). Called from one background task, one
/// call per proxied request, never on a request's path; a slow sink makes lines drop (counted in
/// <see cref="ProxyServer.AuditLinesDropped"/>), never requests wait.
/// </summary>
public interface IProxyAuditSink
{
    /// <summary>
    /// One JSON object and a trailing LF: <c>time, user, userName, groups, cluster, method, path</c> (no query
    /// string), <c>status, requestBytes, responseBytes, durationMs</c>. Never a token or a secret. The span is
    /// reused after the call returns.
    /// </summary>
    void Write(ReadOnlySpan<byte> line);
}
