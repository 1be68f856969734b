using Appliance.Clusters.Tunnel;

namespace Appliance.Clusters.Agents;

/// <summary>One connected agent: its tunnel and what it has reported.</summary>
public sealed class AgentConnection(string clusterId, TunnelSession session, string registrationToken, DateTimeOffset connectedAt)
{
    private volatile AgentCredentials? _credentials;

    public string ClusterId { get; } = clusterId;

    public TunnelSession Session { get; } = session;

    public DateTimeOffset ConnectedAt { get; } = connectedAt;

    /// <summary>The token it connected with: checked again on every health probe, so revoking it disconnects the agent.</summary>
    internal string RegistrationToken { get; } = registrationToken;

    /// <summary>Null until the agent has reported its tokens; the tunnel carries no request before.</summary>
    public AgentCredentials? Credentials
    {
        get => _credentials;
        internal set => _credentials = value;
    }
}
