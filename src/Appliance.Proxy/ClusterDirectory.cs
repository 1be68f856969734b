using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Appliance.Proxy;

/// <summary>
/// A ready-made <see cref="IClusterDirectory"/>: clusters set and removed by the controllers, looked up
/// per request without allocating (a frozen snapshot, replaced on change, searched by the id's characters).
/// </summary>
public sealed class ClusterDirectory : IClusterDirectory
{
    private readonly Lock _sync = new();
    private volatile FrozenDictionary<string, ClusterUpstream> _clusters = FrozenDictionary<string, ClusterUpstream>.Empty;

    /// <summary>Adds or replaces a cluster; a replaced one has its idle connections closed.</summary>
    public void Set(ClusterUpstream cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ClusterUpstream? replaced;
        lock (_sync)
        {
            var next = new Dictionary<string, ClusterUpstream>(_clusters, StringComparer.Ordinal);
            next.TryGetValue(cluster.ClusterId, out replaced);
            next[cluster.ClusterId] = cluster;
            _clusters = next.ToFrozenDictionary(StringComparer.Ordinal);
        }

        if (replaced is not null && !ReferenceEquals(replaced, cluster))
        {
            replaced.Dispose();
        }
    }

    public bool Remove(string clusterId)
    {
        ClusterUpstream? removed;
        lock (_sync)
        {
            var next = new Dictionary<string, ClusterUpstream>(_clusters, StringComparer.Ordinal);
            if (!next.Remove(clusterId, out removed))
            {
                return false;
            }

            _clusters = next.ToFrozenDictionary(StringComparer.Ordinal);
        }

        removed.Dispose();
        return true;
    }

    public bool TryGetCluster(ReadOnlySpan<byte> clusterId, [NotNullWhen(true)] out ClusterUpstream? cluster)
    {
        cluster = null;
        if (clusterId.Length > ClusterRoute.MaxClusterIdLength)
        {
            return false;
        }

        // Ids are ASCII (ClusterRoute allows [a-z0-9.-] only), so a byte is a char.
        Span<char> chars = stackalloc char[clusterId.Length];
        int count = Encoding.ASCII.GetChars(clusterId, chars);
        return _clusters.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars[..count], out cluster);
    }
}
