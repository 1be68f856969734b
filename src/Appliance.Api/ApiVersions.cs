namespace Appliance.Api;

/// <summary>The answer to <c>/api</c>: the versions of the core (legacy) group.</summary>
public sealed class ApiVersions
{
    public string Kind { get; init; } = "APIVersions";

    public required IReadOnlyList<string> Versions { get; init; }

    public required IReadOnlyList<ServerAddressByClientCidr> ServerAddressByClientCIDRs { get; init; }
}
