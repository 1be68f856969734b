namespace Appliance.Clusters.Agents;

/// <summary>
/// What a connected agent reports over its tunnel's control channel: short-lived tokens of the downstream's
/// impersonator service account (the proxy's Authorization) and of the agent's own service account (the
/// controllers'), the Host of the downstream API, and the agent's version. Kept in memory only: without a
/// connected agent there is no way to use them anyway.
/// </summary>
public sealed record AgentCredentials(string ImpersonatorToken, string AgentToken, string ApiAuthority, string AgentVersion);
