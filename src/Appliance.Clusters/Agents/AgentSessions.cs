using System.Collections.Concurrent;

namespace Appliance.Clusters.Agents;

/// <summary>
/// The connected agents, one per cluster: a new connection replaces the old one (an agent that reconnects
/// before the server noticed its old connection died must not be refused). <see cref="Changed"/> tells the
/// controllers which cluster to look at again.
/// </summary>
public sealed class AgentSessions
{
    private readonly ConcurrentDictionary<string, AgentConnection> _connected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _lastDisconnect = new(StringComparer.Ordinal);

    /// <summary>Raised with the cluster id when its agent connects, disconnects or reports credentials.</summary>
    public event Action<string>? Changed;

    public AgentConnection? Find(string clusterId) => _connected.TryGetValue(clusterId, out AgentConnection? agent) ? agent : null;

    /// <summary>Why the cluster's last tunnel ended, for its status; null if it never did.</summary>
    public string? LastDisconnectReason(string clusterId) => _lastDisconnect.GetValueOrDefault(clusterId);

    /// <summary>Makes <paramref name="agent"/> the cluster's connection; returns the one it replaced (the caller closes it).</summary>
    public AgentConnection? Attach(AgentConnection agent)
    {
        AgentConnection? replaced = null;
        _connected.AddOrUpdate(agent.ClusterId, agent, (_, old) =>
        {
            replaced = old;
            return agent;
        });
        Changed?.Invoke(agent.ClusterId);
        return replaced;
    }

    /// <summary>Forgets <paramref name="agent"/> if it is still the cluster's connection.</summary>
    public void Detach(AgentConnection agent, string reason)
    {
        _lastDisconnect[agent.ClusterId] = reason;
        if (_connected.TryRemove(new KeyValuePair<string, AgentConnection>(agent.ClusterId, agent)))
        {
            Changed?.Invoke(agent.ClusterId);
        }
    }

    public void SetCredentials(AgentConnection agent, AgentCredentials credentials)
    {
        agent.Credentials = credentials;
        Changed?.Invoke(agent.ClusterId);
    }

    /// <summary>Every connected cluster id (a snapshot).</summary>
    public IReadOnlyCollection<string> ConnectedClusters => [.. _connected.Keys];
}
