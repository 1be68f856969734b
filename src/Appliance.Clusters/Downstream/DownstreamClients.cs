using Appliance.Clusters.Agents;
using Appliance.Proxy;
using k8s;

namespace Appliance.Clusters.Downstream;

/// <summary>
/// One KubernetesClient per reachable cluster, shared by the controllers: an agent cluster through its tunnel
/// with the agent service account's current token, a direct cluster through its endpoint with the token of
/// its Secret. Made again when the agent reconnects or a token changes.
/// </summary>
public sealed class DownstreamClients(AgentSessions sessions, DirectClusters direct, ClustersOptions options) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (object Route, string Token, Kubernetes Client)> _clients = new(StringComparer.Ordinal);

    /// <summary>The cluster's client, or null while it cannot be reached (agent offline or without tokens, direct cluster not usable).</summary>
    public Kubernetes? Find(string clusterId)
    {
        object route;
        string token;
        IUpstreamDialer dialer;
        if (sessions.Find(clusterId) is { Credentials: { } credentials } agent)
        {
            (route, token, dialer) = (agent, credentials.AgentToken, new TunnelDialer(clusterId, sessions));
        }
        else if (direct.Find(clusterId) is { } access)
        {
            (route, token, dialer) = (access.Dialer, access.Token, access.Dialer);
        }
        else
        {
            return null;
        }

        lock (_lock)
        {
            if (_clients.TryGetValue(clusterId, out var cached))
            {
                if (ReferenceEquals(cached.Route, route) && cached.Token == token)
                {
                    return cached.Client;
                }

                cached.Client.Dispose();
            }

            Kubernetes client = DownstreamClient.Create(dialer, token, options.DownstreamTimeout);
            _clients[clusterId] = (route, token, client);
            return client;
        }
    }

    /// <summary>Drops the cluster's client (the cluster was deleted).</summary>
    public void Forget(string clusterId)
    {
        lock (_lock)
        {
            if (_clients.Remove(clusterId, out var cached))
            {
                cached.Client.Dispose();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var cached in _clients.Values)
            {
                cached.Client.Dispose();
            }

            _clients.Clear();
        }
    }
}
