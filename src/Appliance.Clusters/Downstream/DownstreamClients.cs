using Appliance.Clusters.Agents;
using k8s;

namespace Appliance.Clusters.Downstream;

/// <summary>
/// One KubernetesClient per connected agent cluster, with the agent service account's current token, shared
/// by the controllers; made again when the agent reconnects or renews its token.
/// </summary>
public sealed class DownstreamClients(AgentSessions sessions, ClustersOptions options) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (AgentConnection Agent, string Token, Kubernetes Client)> _clients = new(StringComparer.Ordinal);

    /// <summary>The cluster's client, or null while its agent is not connected (or has not reported its tokens).</summary>
    public Kubernetes? Find(string clusterId)
    {
        AgentConnection? agent = sessions.Find(clusterId);
        if (agent?.Credentials is not { } credentials)
        {
            return null;
        }

        lock (_lock)
        {
            if (_clients.TryGetValue(clusterId, out var cached))
            {
                if (ReferenceEquals(cached.Agent, agent) && cached.Token == credentials.AgentToken)
                {
                    return cached.Client;
                }

                cached.Client.Dispose();
            }

            Kubernetes client = DownstreamClient.Create(new TunnelDialer(clusterId, sessions), credentials.AgentToken, options.DownstreamTimeout);
            _clients[clusterId] = (agent, credentials.AgentToken, client);
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
