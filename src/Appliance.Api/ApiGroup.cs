namespace Appliance.Api;

/// <summary><c>meta/v1 APIGroup</c>: one named group in <c>/apis</c>.</summary>
public sealed class ApiGroup
{
    public required string Name { get; init; }

    public required IReadOnlyList<GroupVersionForDiscovery> Versions { get; init; }

    public required GroupVersionForDiscovery PreferredVersion { get; init; }
}
