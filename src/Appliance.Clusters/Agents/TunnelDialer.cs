using Appliance.Clusters.Tunnel;
using Appliance.Proxy;

namespace Appliance.Clusters.Agents;

/// <summary>
/// Reaches an agent cluster's API as a stream inside its agent's tunnel. The agent connects the stream to
/// its kube-apiserver over TLS (verified with the cluster's own CA), so what flows here is plain HTTP/1.1
/// inside the tunnel's TLS. No agent: <see cref="ClusterUnavailableException"/> (the proxy's 503).
/// </summary>
public sealed class TunnelDialer(string clusterId, AgentSessions sessions) : IUpstreamDialer
{
    /// <summary>The stream target the agent connects to its kube-apiserver.</summary>
    public static ReadOnlyMemory<byte> ApiTarget { get; } = "api"u8.ToArray();

    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        AgentConnection? agent = sessions.Find(clusterId);
        if (agent?.Credentials is null)
        {
            throw new ClusterUnavailableException($"the agent of cluster {clusterId} is not connected");
        }

        try
        {
            return await agent.Session.OpenStreamAsync(ApiTarget, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (!agent.Session.IsRunning)
        {
            throw new ClusterUnavailableException($"the agent of cluster {clusterId} disconnected");
        }
    }
}
