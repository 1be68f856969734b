namespace Appliance.Proxy;

/// <summary>
/// <c>/k8s/clusters/{clusterId}/&lt;kube path&gt;</c> split into the cluster id and the target to send
/// upstream (DESIGN.md "Proxy"), as slices of the request-target: nothing is copied.
/// </summary>
internal readonly ref struct ClusterRoute
{
    /// <summary>A Kubernetes object name's limit (RFC 1123 subdomain), which cluster ids are.</summary>
    public const int MaxClusterIdLength = 253;

    private ClusterRoute(ReadOnlySpan<byte> clusterId, ReadOnlySpan<byte> upstreamTargetRest)
    {
        ClusterId = clusterId;
        UpstreamTargetRest = upstreamTargetRest;
    }

    private static ReadOnlySpan<byte> Prefix => "/k8s/clusters/"u8;

    public ReadOnlySpan<byte> ClusterId { get; }

    /// <summary>
    /// What follows the cluster id: empty, a query starting with "?", or a path starting with "/".
    /// The upstream target is this with a "/" in front when it does not start with one
    /// (<c>/k8s/clusters/c1</c> maps to <c>/</c>).
    /// </summary>
    public ReadOnlySpan<byte> UpstreamTargetRest { get; }

    public bool NeedsLeadingSlash => UpstreamTargetRest.IsEmpty || UpstreamTargetRest[0] != '/';

    /// <summary>The length of the upstream request-target.</summary>
    public int UpstreamTargetLength => UpstreamTargetRest.Length + (NeedsLeadingSlash ? 1 : 0);

    /// <summary>Routes an origin-form request-target (already validated by <see cref="RequestHeadParser"/>).</summary>
    public static RouteError TryParse(ReadOnlySpan<byte> target, out ClusterRoute route)
    {
        route = default;
        if (!target.StartsWith(Prefix))
        {
            // "/k8s/clusters" alone names the family but no cluster.
            return target.SequenceEqual(Prefix[..^1]) || (target.StartsWith(Prefix[..^1]) && target[(Prefix.Length - 1)] == '?')
                ? RouteError.MissingClusterId
                : RouteError.NotClusterPath;
        }

        ReadOnlySpan<byte> afterPrefix = target[Prefix.Length..];
        int idEnd = afterPrefix.IndexOfAny((byte)'/', (byte)'?');
        ReadOnlySpan<byte> clusterId = idEnd < 0 ? afterPrefix : afterPrefix[..idEnd];
        ReadOnlySpan<byte> rest = idEnd < 0 ? default : afterPrefix[idEnd..];
        RouteError error = CheckClusterId(clusterId);
        if (error != RouteError.None)
        {
            return error;
        }

        int queryStart = rest.IndexOf((byte)'?');
        if (HasDotSegment(queryStart < 0 ? rest : rest[..queryStart]))
        {
            return RouteError.DotSegmentInPath;
        }

        route = new ClusterRoute(clusterId, rest);
        return RouteError.None;
    }

    /// <summary>Writes the upstream request-target; <paramref name="destination"/> has <see cref="UpstreamTargetLength"/> bytes.</summary>
    public int WriteUpstreamTarget(Span<byte> destination)
    {
        int written = 0;
        if (NeedsLeadingSlash)
        {
            destination[0] = (byte)'/';
            written = 1;
        }

        UpstreamTargetRest.CopyTo(destination[written..]);
        return written + UpstreamTargetRest.Length;
    }

    private static RouteError CheckClusterId(ReadOnlySpan<byte> clusterId)
    {
        if (clusterId.IsEmpty)
        {
            return RouteError.MissingClusterId;
        }

        // Before the percent check, so "%2e%2e" is reported for what it is.
        if (IsDotSegment(clusterId))
        {
            return RouteError.DotSegmentClusterId;
        }

        if (clusterId.Contains((byte)'%'))
        {
            return RouteError.EncodedClusterId;
        }

        if (clusterId.Length > MaxClusterIdLength || clusterId.ContainsAnyExcept(ClusterIdCharacters))
        {
            return RouteError.InvalidClusterId;
        }

        return RouteError.None;
    }

    private static ReadOnlySpan<byte> ClusterIdCharacters => "abcdefghijklmnopqrstuvwxyz0123456789-."u8;

    /// <summary>Any "/"-separated segment of <paramref name="path"/> that is a dot-segment (RFC 3986 section 5.2.4).</summary>
    private static bool HasDotSegment(ReadOnlySpan<byte> path)
    {
        while (!path.IsEmpty)
        {
            int slash = path.IndexOf((byte)'/');
            ReadOnlySpan<byte> segment = slash < 0 ? path : path[..slash];
            if (IsDotSegment(segment))
            {
                return true;
            }

            path = slash < 0 ? default : path[(slash + 1)..];
        }

        return false;
    }

    /// <summary>"." or "..", where each dot may be written "%2e" or "%2E" (RFC 3986 section 2.3: equivalent).</summary>
    private static bool IsDotSegment(ReadOnlySpan<byte> segment)
    {
        int dots = 0;
        int i = 0;
        while ((uint)i < (uint)segment.Length)
        {
            if (segment[i] == '.')
            {
                i++;
            }
            else if (segment[i] == '%' && i + 2 < segment.Length && segment[i + 1] == '2' && (segment[i + 2] | 0x20) == 'e')
            {
                i += 3;
            }
            else
            {
                return false;
            }

            if (++dots > 2)
            {
                return false;
            }
        }

        return dots > 0;
    }
}
