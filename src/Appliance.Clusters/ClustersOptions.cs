namespace Appliance.Clusters;

/// <summary>What the cluster parts need from the composition root.</summary>
public sealed class ClustersOptions
{
    public const string DefaultAgentImage = "ghcr.io/appliance/appliance:latest";

    /// <summary>The PEM of the server's CA: served at <c>/cacerts</c>, and its checksum goes into registration manifests.</summary>
    public string CaCertificatePem { get; set; } = "";

    /// <summary>How often each cluster's API is probed (kube's node-monitor rhythm; Rancher probes every 30 s too).</summary>
    public TimeSpan HealthProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often every controller re-reads everything, so a missed change or a drifted downstream is repaired.</summary>
    public TimeSpan ResyncPeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Bounds one call to a downstream API (a probe, a list, a write).</summary>
    public TimeSpan DownstreamTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
