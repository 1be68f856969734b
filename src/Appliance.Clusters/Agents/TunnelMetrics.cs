using System.Diagnostics.Metrics;

namespace Appliance.Clusters.Agents;

/// <summary>
/// The tunnels as gauges (meter <c>Appliance.Clusters</c>): each connected cluster's last ping round trip and
/// its open streams, read when scraped.
/// </summary>
public sealed class TunnelMetrics : IDisposable
{
    public const string MeterName = "Appliance.Clusters";

    private readonly Meter _meter = new(MeterName);

    public TunnelMetrics(AgentSessions sessions)
    {
        _meter.CreateObservableGauge("appliance.tunnel.round_trip_time", () => Observe(sessions, static agent => agent.Session.RoundTripTime?.TotalSeconds), "s",
            "The last ping round trip through each connected agent's tunnel.");
        _meter.CreateObservableGauge("appliance.tunnel.streams", () => Observe(sessions, static agent => agent.Session.OpenStreamCount), "{stream}",
            "Streams open in each connected agent's tunnel.");
    }

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<double>> Observe(AgentSessions sessions, Func<AgentConnection, double?> read)
    {
        foreach (string clusterId in sessions.ConnectedClusters)
        {
            if (sessions.Find(clusterId) is { } agent && read(agent) is { } value)
            {
                yield return new Measurement<double>(value, new KeyValuePair<string, object?>("cluster", clusterId));
            }
        }
    }
}
