namespace Appliance.Api;

/// <summary><c>meta/v1 GroupVersionForDiscovery</c>.</summary>
public sealed class GroupVersionForDiscovery
{
    /// <summary>"group/version".</summary>
    public required string GroupVersion { get; init; }

    public required string Version { get; init; }
}
