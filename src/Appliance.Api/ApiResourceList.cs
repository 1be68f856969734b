namespace Appliance.Api;

/// <summary>The answer to <c>/api/v1</c> and <c>/apis/{group}/{version}</c> (legacy discovery).</summary>
public sealed class ApiResourceList
{
    public string Kind { get; init; } = "APIResourceList";

    public string ApiVersion { get; init; } = "v1";

    public required string GroupVersion { get; init; }

    public required IReadOnlyList<ApiResource> Resources { get; init; }
}
