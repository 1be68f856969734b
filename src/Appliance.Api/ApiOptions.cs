namespace Appliance.Api;

/// <summary>Tuning of the API; the defaults are kube-apiserver's. Validated at start-up.</summary>
public sealed class ApiOptions
{
    /// <summary>kube-apiserver ends watches after 30-60 min so clients re-watch and stale streams are shed.</summary>
    public static readonly TimeSpan DefaultWatchTimeoutDefault = TimeSpan.FromMinutes(30);

    /// <summary>kube-apiserver sends a BOOKMARK about once a minute to watchers that allow them.</summary>
    public static readonly TimeSpan DefaultWatchBookmarkInterval = TimeSpan.FromMinutes(1);

    /// <summary>How long a watch without <c>timeoutSeconds</c> runs.</summary>
    public TimeSpan DefaultWatchTimeout { get; set; } = DefaultWatchTimeoutDefault;

    /// <summary>
    /// How often an idle watch with <c>allowWatchBookmarks=true</c> gets a BOOKMARK carrying the revision
    /// it has seen up to, so the client resumes from there instead of an old (maybe compacted) revision.
    /// </summary>
    public TimeSpan WatchBookmarkInterval { get; set; } = DefaultWatchBookmarkInterval;

    /// <summary>
    /// Reads served at once (kube-apiserver's <c>--max-requests-inflight</c>, 400); more get 429 with
    /// Retry-After. Watches are long-running and not counted.
    /// </summary>
    public int MaxRequestsInFlight { get; set; } = 400;

    /// <summary>Writes served at once (kube-apiserver's <c>--max-mutating-requests-inflight</c>, 200).</summary>
    public int MaxMutatingRequestsInFlight { get; set; } = 200;

    /// <summary>Where the audit log of API requests is appended (JSON lines, 0600); null: no audit log.</summary>
    public string? AuditLogPath { get; set; }

    /// <summary>
    /// The PEM of the CA that signed the server's certificate, written into the kubeconfigs a login hands out
    /// (<c>responseType: kubeconfig</c>); empty: none, clients verify with their system trust store.
    /// </summary>
    public string CaCertificatePem { get; set; } = "";
}
