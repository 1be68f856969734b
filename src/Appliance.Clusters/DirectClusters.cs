using System.Text;
using System.Text.Json;
using Appliance.Auth;
using Appliance.Proxy;
using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Clusters;

/// <summary>
/// Keeps the proxy's <see cref="ClusterDirectory"/> in step with the <c>direct</c> Cluster objects: each one's
/// API endpoint, CA bundle and the impersonator token in the Secret its <c>spec.direct.tokenSecretRef</c>
/// names. Rebuilt from the store on every change to a Cluster or a Secret (a store watch), so a new
/// cluster, a rotated token or a deleted cluster reaches the proxy at once. The controllers reach a direct
/// cluster through <see cref="Find"/>.
/// </summary>
public sealed partial class DirectClusters(IServiceProvider services, ClusterDirectory directory, ProxyOptions proxyOptions, ILogger<DirectClusters> logger) : BackgroundService
{
    private const string ClustersPrefix = "/registry/management.appliance.io/clusters/";
    private const string SecretsPrefix = "/registry/core/secrets/";

    private readonly Dictionary<string, string> _applied = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DirectAccess> _access = new(StringComparer.Ordinal);

    /// <summary>How the controllers reach a direct cluster: its dialer and the token of its Secret; null until synced.</summary>
    public DirectAccess? Find(string clusterId) => _access.GetValueOrDefault(clusterId);

    /// <summary>Raised with the cluster id when its access was set, changed or removed, so the controllers look again.</summary>
    public event Action<string>? Changed;

    private void SetAccess(string clusterId, DirectAccess access)
    {
        if (_access.TryGetValue(clusterId, out DirectAccess? old) && old == access)
        {
            return;
        }

        _access[clusterId] = access;
        Changed?.Invoke(clusterId);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        KeyValueStore store = services.GetRequiredService<KeyValueStore>();
        SecretEncryption encryption = services.GetRequiredService<SecretEncryption>();
        long revision = Sync(store, encryption);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using StoreWatcher watcher = store.Watch("/registry/", revision);
                while (await watcher.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                {
                    bool relevant = false;
                    while (watcher.TryRead(out WatchEvent? change))
                    {
                        relevant |= change.Key.StartsWith(ClustersPrefix, StringComparison.Ordinal) || change.Key.StartsWith(SecretsPrefix, StringComparison.Ordinal);
                    }

                    revision = watcher.Revision;
                    if (relevant)
                    {
                        revision = Math.Max(revision, Sync(store, encryption));
                    }
                }

                if (watcher.Status == StoreStatus.Closed)
                {
                    return;
                }

                revision = Sync(store, encryption);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sets every direct cluster from the store and removes the ones gone; returns the revision read.</summary>
    private long Sync(KeyValueStore store, SecretEncryption encryption)
    {
        RangeResult clusters = store.Range(ClustersPrefix);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (KeyValue item in clusters.Items)
        {
            string id = item.Key[ClustersPrefix.Length..];
            if (TryRead(store, encryption, item.Value, clusters.Revision, out DirectCluster? cluster, out string? problem))
            {
                seen.Add(id);
                // Unchanged settings keep the existing upstream and its pooled connections; a rotated token
                // (short-lived TokenRequest tokens are refreshed often) only swaps the Authorization line.
                string fingerprint = cluster.Endpoint + "\n" + cluster.CaBundle;
                if (_applied.TryGetValue(id, out string? applied) && applied == fingerprint && directory.TryGetCluster(Encoding.UTF8.GetBytes(id), out ClusterUpstream? existing))
                {
                    existing.UpdateCredentials(cluster.Endpoint.Authority, cluster.Token);
                    SetAccess(id, new DirectAccess(existing.Dialer, cluster.Token));
                    continue;
                }

                try
                {
                    var dialer = DirectUpstreamDialer.FromPem(cluster.Endpoint.Host, cluster.Endpoint.Port, cluster.CaBundle);
                    directory.Set(new ClusterUpstream(id, dialer, cluster.Endpoint.Authority, cluster.Token,
                        proxyOptions.MaxPooledConnectionsPerCluster, proxyOptions.PooledConnectionIdleTimeout, proxyOptions.TimeProvider));
                    _applied[id] = fingerprint;
                    SetAccess(id, new DirectAccess(dialer, cluster.Token));
                    LogClusterReady(logger, id, cluster.Endpoint.Authority);
                }
                catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
                {
                    seen.Remove(id);
                    LogClusterUnusable(logger, id, e.Message);
                }
            }
            else if (problem is not null)
            {
                LogClusterUnusable(logger, id, problem);
            }
        }

        foreach (string id in _applied.Keys.ToArray())
        {
            if (!seen.Contains(id))
            {
                directory.Remove(id);
                _applied.Remove(id);
                if (_access.TryRemove(id, out _))
                {
                    Changed?.Invoke(id);
                }
            }
        }

        return clusters.Revision;
    }

    /// <summary>One cluster's settings; a cluster that cannot be read is a problem of that cluster, never the end of the sync (nor of the server).</summary>
    private static bool TryRead(KeyValueStore store, SecretEncryption encryption, byte[] value, long revision, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DirectCluster? cluster, out string? problem)
    {
        try
        {
            return TryReadUnguarded(store, encryption, value, revision, out cluster, out problem);
        }
        catch (Exception e) when (e is JsonException or FormatException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            cluster = null;
            problem = "its settings or token Secret cannot be read: " + e.Message;
            return false;
        }
    }

    private static bool TryReadUnguarded(KeyValueStore store, SecretEncryption encryption, byte[] value, long revision, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DirectCluster? cluster, out string? problem)
    {
        cluster = null;
        problem = null;
        using JsonDocument document = JsonDocument.Parse(value);
        if (!document.RootElement.TryGetProperty("spec", out JsonElement spec) || Text(spec, "type") != "direct" || !spec.TryGetProperty("direct", out JsonElement direct))
        {
            return false;
        }

        if (!Uri.TryCreate(Text(direct, "apiEndpoint"), UriKind.Absolute, out Uri? endpoint) || endpoint.Scheme != Uri.UriSchemeHttps)
        {
            problem = "spec.direct.apiEndpoint is not an https URL";
            return false;
        }

        string? caBundle = Text(direct, "caBundle");
        if (string.IsNullOrEmpty(caBundle) || !direct.TryGetProperty("tokenSecretRef", out JsonElement reference))
        {
            problem = "spec.direct needs caBundle and tokenSecretRef";
            return false;
        }

        string key = SecretsPrefix + Text(reference, "namespace") + "/" + Text(reference, "name");
        GetResult secret = store.Get(key, revision);
        if (secret.Item is null)
        {
            problem = $"the token Secret {Text(reference, "namespace")}/{Text(reference, "name")} does not exist";
            return false;
        }

        byte[] json = SecretEncryption.IsEncrypted(secret.Item.Value) ? encryption.Decrypt(key, secret.Item.Value) : secret.Item.Value;
        using JsonDocument secretDocument = JsonDocument.Parse(json);
        if (!secretDocument.RootElement.TryGetProperty("data", out JsonElement data) || Text(data, "token") is not string encoded)
        {
            problem = "the token Secret has no data.token";
            return false;
        }

        cluster = new DirectCluster(endpoint, caBundle, Encoding.UTF8.GetString(Convert.FromBase64String(encoded)).Trim());
        return true;
    }

    private static string? Text(JsonElement obj, string property)
        => obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed record DirectCluster(Uri Endpoint, string CaBundle, string Token);

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Cluster {ClusterId} is reachable through the proxy at {Endpoint}")]
    private static partial void LogClusterReady(ILogger logger, string clusterId, string endpoint);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Cluster {ClusterId} cannot be proxied: {Problem}")]
    private static partial void LogClusterUnusable(ILogger logger, string clusterId, string problem);
}

/// <summary>A direct cluster's dialer and service-account token.</summary>
public sealed record DirectAccess(IUpstreamDialer Dialer, string Token);
