namespace Appliance.Proxy;

/// <summary>Why a request-target is not a proxy route.</summary>
public enum RouteError
{
    /// <summary>A valid route.</summary>
    None,

    /// <summary>The target does not start with <c>/k8s/clusters/</c>; not the proxy's request.</summary>
    NotClusterPath,

    /// <summary><c>/k8s/clusters</c>, <c>/k8s/clusters/</c> or an empty id segment (<c>//</c>).</summary>
    MissingClusterId,

    /// <summary>The id is <c>.</c> or <c>..</c>, also percent-encoded (<c>%2e</c>): it would normalize to another path.</summary>
    DotSegmentClusterId,

    /// <summary>The id contains a percent-encoding (such as <c>%2f</c>, an encoded slash); ids never need one.</summary>
    EncodedClusterId,

    /// <summary>The id has characters a cluster's object name cannot have (lower-case RFC 1123 names only) or is too long.</summary>
    InvalidClusterId,

    /// <summary>The upstream path has a <c>.</c> or <c>..</c> segment (also percent-encoded); kubectl never sends one.</summary>
    DotSegmentInPath,
}
