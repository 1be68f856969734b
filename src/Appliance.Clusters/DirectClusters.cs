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
/// names. A store watch re-reads a cluster when it or its token Secret changes, so a new cluster, a rotated
/// token or a deleted cluster reaches the proxy at once; only that cluster is read again, since every cluster's
/// status is written each health probe and the whole set would otherwise be read N times per probe round.
/// The controllers reach a direct cluster through <see cref="Find"/>.
/// </summary>
public sealed partial class DirectClusters(IServiceProvider services, ClusterDirectory directory, ProxyOptions proxyOptions, ILogger<DirectClusters> logger) : BackgroundService
{
    private const string ClustersPrefix = "/registry/management.appliance.io/clusters/";
    private const string SecretsPrefix = "/registry/core/secrets/";

    // Only the watch loop touches these three.
    private readonly Dictionary<string, string> _applied = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _tokenSecretKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _problems = new(StringComparer.Ordinal);

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
        long revision = SyncAll(store, encryption);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using StoreWatcher watcher = store.Watch("/registry/", revision);
                while (await watcher.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                {
                    while (watcher.TryRead(out WatchEvent? change))
                    {
                        AddAffectedClusters(change.Key, changed);
                    }

                    revision = watcher.Revision;
                    foreach (string id in changed)
                    {
                        Refresh(store, encryption, id);
                    }

                    changed.Clear();
                }

                if (watcher.Status == StoreStatus.Closed)
                {
                    return;
                }

                // The watch ended (compacted past, or fell behind): start over from what the store holds now.
                revision = SyncAll(store, encryption);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The clusters a write to <paramref name="key"/> can change: the cluster itself, or every cluster whose token is in that Secret.</summary>
    private void AddAffectedClusters(string key, HashSet<string> clusterIds)
    {
        if (key.StartsWith(ClustersPrefix, StringComparison.Ordinal))
        {
            clusterIds.Add(key[ClustersPrefix.Length..]);
        }
        else if (key.StartsWith(SecretsPrefix, StringComparison.Ordinal))
        {
            foreach ((string id, string secretKey) in _tokenSecretKeys)
            {
                if (secretKey == key)
                {
                    clusterIds.Add(id);
                }
            }
        }
    }

    /// <summary>Sets every direct cluster from the store and removes the ones gone; returns the revision read.</summary>
    private long SyncAll(KeyValueStore store, SecretEncryption encryption)
    {
        RangeResult clusters = store.Range(ClustersPrefix);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (KeyValue item in clusters.Items)
        {
            string id = item.Key[ClustersPrefix.Length..];
            seen.Add(id);
            Apply(store, encryption, id, item.Value, clusters.Revision);
        }

        foreach (string id in _applied.Keys.Concat(_tokenSecretKeys.Keys).Concat(_problems.Keys).ToArray())
        {
            if (!seen.Contains(id))
            {
                Forget(id);
            }
        }

        return clusters.Revision;
    }

    /// <summary>Reads one cluster (and its token Secret) again, as the store holds it now.</summary>
    private void Refresh(KeyValueStore store, SecretEncryption encryption, string id)
    {
        GetResult current = store.Get(ClustersPrefix + id);
        if (current.Item is null)
        {
            Forget(id);
            return;
        }

        Apply(store, encryption, id, current.Item.Value, current.Revision);
    }

    private void Apply(KeyValueStore store, SecretEncryption encryption, string id, byte[] value, long revision)
    {
        if (!TryRead(store, encryption, value, revision, out string? tokenSecretKey, out DirectCluster? cluster, out string? problem))
        {
            Withdraw(id);
            if (tokenSecretKey is null)
            {
                _tokenSecretKeys.Remove(id);
            }
            else
            {
                // Not usable yet, but its Secret appearing or changing may make it so.
                _tokenSecretKeys[id] = tokenSecretKey;
            }

            if (problem is null)
            {
                _problems.Remove(id);
            }
            else
            {
                ReportProblem(id, problem);
            }

            return;
        }

        _tokenSecretKeys[id] = tokenSecretKey!;
        _problems.Remove(id);

        // Unchanged settings keep the existing upstream and its pooled connections; a rotated token
        // (short-lived TokenRequest tokens are refreshed often) only swaps the Authorization line.
        string fingerprint = cluster.Endpoint + "\n" + cluster.CaBundle;
        if (_applied.TryGetValue(id, out string? applied) && applied == fingerprint && directory.TryGetCluster(Encoding.UTF8.GetBytes(id), out ClusterUpstream? existing))
        {
            existing.UpdateCredentials(cluster.Endpoint.Authority, cluster.Token);
            SetAccess(id, new DirectAccess(existing.Dialer, cluster.Token));
            return;
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
            Withdraw(id);
            ReportProblem(id, e.Message);
        }
    }

    /// <summary>Logs why a cluster cannot be proxied once, not again at each re-read until the reason changes.</summary>
    private void ReportProblem(string id, string problem)
    {
        if (!_problems.TryGetValue(id, out string? reported) || reported != problem)
        {
            _problems[id] = problem;
            LogClusterUnusable(logger, id, problem);
        }
    }

    /// <summary>A deleted cluster: out of the directory, and nothing of it remembered.</summary>
    private void Forget(string id)
    {
        Withdraw(id);
        _tokenSecretKeys.Remove(id);
        _problems.Remove(id);
    }

    /// <summary>Takes a cluster out of the proxy's directory and out of the controllers' reach.</summary>
    private void Withdraw(string id)
    {
        if (_applied.Remove(id))
        {
            directory.Remove(id);
        }

        if (_access.TryRemove(id, out _))
        {
            Changed?.Invoke(id);
        }
    }

    /// <summary>One cluster's settings; a cluster that cannot be read is a problem of that cluster, never the end of the sync (nor of the server).</summary>
    /// <remarks><paramref name="tokenSecretKey"/> is the store key of the token Secret whenever the cluster names one, usable or not.</remarks>
    private static bool TryRead(KeyValueStore store, SecretEncryption encryption, byte[] value, long revision,
        out string? tokenSecretKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DirectCluster? cluster, out string? problem)
    {
        tokenSecretKey = null;
        try
        {
            return TryReadUnguarded(store, encryption, value, revision, ref tokenSecretKey, out cluster, out problem);
        }
        catch (Exception e) when (e is JsonException or FormatException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            cluster = null;
            problem = "its settings or token Secret cannot be read: " + e.Message;
            return false;
        }
    }

    private static bool TryReadUnguarded(KeyValueStore store, SecretEncryption encryption, byte[] value, long revision,
        ref string? tokenSecretKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DirectCluster? cluster, out string? problem)
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
        tokenSecretKey = key;
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
