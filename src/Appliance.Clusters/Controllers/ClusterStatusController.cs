using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Api;
using Appliance.Clusters.Agents;
using Appliance.Clusters.Downstream;
using Appliance.Clusters.Registration;
using Appliance.Proxy;
using Appliance.Store;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Clusters.Controllers;

/// <summary>
/// Keeps each agent cluster reachable and its status true: makes its registration token, puts it in the
/// proxy's directory (a <see cref="TunnelDialer"/> with the agent's current impersonator token), and every
/// <see cref="ClustersOptions.HealthProbeInterval"/> (and at once when its agent connects or drops) writes
/// the conditions Connected and Ready, the Kubernetes version, node count and allocatable CPU and memory.
/// </summary>
public sealed partial class ClusterStatusController : Controller
{
    /// <summary>Until the agent reports its token, the upstream needs one; the dialer refuses before any request could carry it.</summary>
    private const string NoTokenYet = "agent-not-connected";

    private const string ClustersPrefix = "/registry/management.appliance.io/clusters/";

    private readonly AgentSessions _sessions;
    private readonly ClusterDirectory _directory;
    private readonly ProxyOptions _proxyOptions;
    private readonly ClustersOptions _options;
    private readonly Dictionary<string, ClusterUpstream> _upstreams = new(StringComparer.Ordinal);

    /// <summary>The generation of each cluster last seen on the watch (only the watch loop touches it).</summary>
    private readonly Dictionary<string, long> _seenGenerations = new(StringComparer.Ordinal);
    private readonly DownstreamClients _clients;

    public ClusterStatusController(IServiceProvider services, AgentSessions sessions, DirectClusters directClusters, DownstreamClients clients,
        ClusterDirectory directory, ProxyOptions proxyOptions, ClustersOptions options, ILogger<ClusterStatusController> logger)
        : base(services, options.ResyncPeriod, logger)
    {
        _sessions = sessions;
        _clients = clients;
        _directory = directory;
        _proxyOptions = proxyOptions;
        _options = options;
        sessions.Changed += Enqueue;
        // A direct cluster becomes reachable when DirectClusters has read its Secret, which may be after its own event here.
        directClusters.Changed += Enqueue;
    }

    private RegistrationTokens Tokens => field ??= Services.GetRequiredService<RegistrationTokens>();

    protected override string ControllerName => "cluster-status";

    protected override IEnumerable<string> AllKeys()
    {
        foreach (JsonObject cluster in Objects.List(ObjectNames.ManagementGroup, "clusters").Items)
        {
            yield return cluster["metadata"]!["name"]!.GetValue<string>();
        }
    }

    protected override void KeysOf(WatchEvent change, ICollection<string> keys)
    {
        string storeKey = change.Key;
        if (storeKey.StartsWith(ClustersPrefix, StringComparison.Ordinal))
        {
            // Its own status writes (and the push-down's) change the cluster too: only a new generation (a spec
            // change), a new cluster or a deleted one is news, or every write would probe and write again.
            string clusterId = storeKey[ClustersPrefix.Length..];
            long generation = change.Type == WatchEventType.Delete ? -1 : Generation(change.Value);
            if (!_seenGenerations.TryGetValue(clusterId, out long seen) || seen != generation)
            {
                _seenGenerations[clusterId] = generation;
                keys.Add(clusterId);
            }
        }
        else if (storeKey.StartsWith("/registry/core/secrets/" + ObjectNames.SystemNamespace + "/registration-", StringComparison.Ordinal))
        {
            // A deleted (revoked) registration token: make a new one, and drop an agent that used the old one.
            keys.Add(storeKey[("/registry/core/secrets/" + ObjectNames.SystemNamespace + "/registration-").Length..]);
        }
    }

    protected override async Task<TimeSpan?> ReconcileAsync(string clusterId, CancellationToken cancellationToken)
    {
        JsonObject? cluster = Objects.Get(ObjectNames.ManagementGroup, "clusters", null, clusterId);
        string? type = cluster?["spec"]?["type"]?.GetValue<string>();
        if (type == "direct")
        {
            // Reached through its endpoint (DirectClusters keeps the proxy's entry, even when it was an agent cluster before); probed alike.
            _upstreams.Remove(clusterId);
            ClusterHealth direct = _clients.Find(clusterId) is { } client
                ? await ProbeAsync(client, "Direct", "the API endpoint answers", cancellationToken).ConfigureAwait(false)
                : ClusterHealth.Disconnected("Unusable", "the cluster's endpoint, CA bundle or token Secret is not usable (the server log says why)");
            await WriteStatusAsync(clusterId, direct, null).ConfigureAwait(false);
            return _options.HealthProbeInterval;
        }

        if (type != "agent")
        {
            Forget(clusterId);
            return null;
        }

        await Tokens.EnsureAsync(clusterId).ConfigureAwait(false);
        AgentConnection? agent = _sessions.Find(clusterId);
        if (agent is not null && !Tokens.Check(agent.RegistrationToken).IsValid)
        {
            LogAgentTokenRevoked(Logger, clusterId);
            await agent.Session.DisposeAsync().ConfigureAwait(false);
            agent = null;
        }

        AgentCredentials? credentials = agent?.Credentials;
        SetUpstream(clusterId, credentials);

        ClusterHealth health = credentials is null || _clients.Find(clusterId) is not { } agentClient
            ? ClusterHealth.Disconnected("Disconnected", _sessions.LastDisconnectReason(clusterId) ?? "the agent has not connected yet")
            : await ProbeAsync(agentClient, "Connected", $"agent connected since {agent!.ConnectedAt:yyyy-MM-ddTHH:mm:ssZ}", cancellationToken).ConfigureAwait(false);
        await WriteStatusAsync(clusterId, health, credentials?.AgentVersion).ConfigureAwait(false);
        return credentials is null ? null : _options.HealthProbeInterval;
    }

    private void SetUpstream(string clusterId, AgentCredentials? credentials)
    {
        string authority = credentials?.ApiAuthority ?? "kubernetes.default.svc";
        string token = credentials?.ImpersonatorToken ?? NoTokenYet;
        if (_upstreams.TryGetValue(clusterId, out ClusterUpstream? upstream))
        {
            upstream.UpdateCredentials(authority, token);
            return;
        }

        upstream = new ClusterUpstream(clusterId, new TunnelDialer(clusterId, _sessions), authority, token,
            _proxyOptions.MaxPooledConnectionsPerCluster, _proxyOptions.PooledConnectionIdleTimeout, _proxyOptions.TimeProvider);
        _upstreams[clusterId] = upstream;
        _directory.Set(upstream);
    }

    private void Forget(string clusterId)
    {
        if (_upstreams.Remove(clusterId))
        {
            _directory.Remove(clusterId);
        }

        _clients.Forget(clusterId);

        if (_sessions.Find(clusterId) is { } agent)
        {
            _ = agent.Session.DisposeAsync().AsTask();
        }
    }

    /// <summary>/readyz, /version and the nodes (a token that may not list nodes leaves them out); Connected means the API was reached.</summary>
    private async Task<ClusterHealth> ProbeAsync(Kubernetes client, string connectedReason, string connectedMessage, CancellationToken cancellationToken)
    {

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.DownstreamTimeout);
        try
        {
            using HttpResponseMessage ready = await client.HttpClient.GetAsync(new Uri(client.BaseUri, "/readyz"), timeout.Token).ConfigureAwait(false);
            string readyBody = await ready.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            VersionInfo version = await client.Version.GetCodeAsync(timeout.Token).ConfigureAwait(false);
            V1NodeList? nodes = null;
            try
            {
                nodes = await client.CoreV1.ListNodeAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Forbidden)
            {
            }

            decimal cpu = 0;
            decimal memory = 0;
            foreach (V1Node node in nodes?.Items ?? [])
            {
                if (node.Status?.Allocatable is { } allocatable)
                {
                    cpu += allocatable.TryGetValue("cpu", out ResourceQuantity? c) ? c.ToDecimal() : 0;
                    memory += allocatable.TryGetValue("memory", out ResourceQuantity? m) ? m.ToDecimal() : 0;
                }
            }

            bool isReady = ready.IsSuccessStatusCode;
            return new ClusterHealth(true, connectedReason, connectedMessage,
                isReady, isReady ? "APIReady" : "APINotReady", isReady ? "the API answers /readyz" : $"/readyz answered {(int)ready.StatusCode}: {Trim(readyBody)}",
                version.GitVersion, nodes?.Items.Count, nodes is null ? null : cpu, nodes is null ? null : memory, Time.GetUtcNow());
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or k8s.Autorest.HttpOperationException && !cancellationToken.IsCancellationRequested)
        {
            // An agent cluster whose tunnel is up is connected even when its API fails; a direct one is not.
            bool tunnelUp = connectedReason == "Connected";
            return new ClusterHealth(tunnelUp, tunnelUp ? connectedReason : "Unreachable", tunnelUp ? connectedMessage : Trim(e.Message),
                false, "APIUnreachable", Trim(e.Message), null, null, null, null, null);
        }
    }

    private async Task WriteStatusAsync(string clusterId, ClusterHealth health, string? agentVersion)
    {
        string now = Time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        try
        {
            await Objects.UpdateStatusAsync(ObjectNames.ManagementGroup, "clusters", null, clusterId, cluster =>
            {
                JsonObject status = cluster["status"] as JsonObject ?? [];
                cluster["status"] = status;
                ClusterConditions.Set(status, "Connected", health.Connected, health.ConnectedReason, health.ConnectedMessage, now);
                ClusterConditions.Set(status, "Ready", health.Ready, health.ReadyReason, health.ReadyMessage, now);
                if (health.Version is not null)
                {
                    status["kubernetesVersion"] = health.Version;
                    status["lastHeartbeatTime"] = health.Heartbeat!.Value.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                }

                if (health.NodeCount is not null)
                {
                    status["nodeCount"] = health.NodeCount;
                    status["allocatable"] = new JsonObject
                    {
                        ["cpu"] = health.Cpu!.Value.ToString(CultureInfo.InvariantCulture),
                        ["memory"] = health.Memory!.Value.ToString(CultureInfo.InvariantCulture),
                    };
                }

                if (agentVersion is not null)
                {
                    status["agentVersion"] = agentVersion;
                }

                return cluster;
            }).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Status.Code == 404)
        {
            // Deleted meanwhile: the delete's own event forgets it.
        }
    }

    private static long Generation(byte[] cluster)
    {
        using var document = System.Text.Json.JsonDocument.Parse(cluster);
        return document.RootElement.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("generation", out var generation) && generation.TryGetInt64(out long value)
            ? value
            : 0;
    }

    private static string Trim(string text) => text.Length <= 200 ? text.Trim() : text[..200].Trim() + "...";

    private sealed record ClusterHealth(
        bool Connected, string ConnectedReason, string ConnectedMessage,
        bool Ready, string ReadyReason, string ReadyMessage,
        string? Version, int? NodeCount, decimal? Cpu, decimal? Memory, DateTimeOffset? Heartbeat)
    {
        public static ClusterHealth Disconnected(string reason, string message)
            => new(false, reason, message, false, reason, "the cluster cannot be reached", null, null, null, null, null);
    }

    [LoggerMessage(EventId = 1530, Level = LogLevel.Warning, Message = "Cluster {ClusterId}: its registration token was revoked; the agent is disconnected")]
    private static partial void LogAgentTokenRevoked(ILogger logger, string clusterId);
}
