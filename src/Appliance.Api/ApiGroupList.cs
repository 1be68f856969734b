namespace Appliance.Api;

/// <summary>The answer to <c>/apis</c>: every named group (the core group is under <c>/api</c>).</summary>
public sealed class ApiGroupList
{
    public string Kind { get; init; } = "APIGroupList";

    public string ApiVersion { get; init; } = "v1";

    public required IReadOnlyList<ApiGroup> Groups { get; init; }
}
