namespace Appliance.Api;

/// <summary><c>meta/v1 StatusDetails</c>: which object the status is about and, for Invalid, why.</summary>
public sealed class ApiStatusDetails
{
    public string? Name { get; init; }

    public string? Group { get; init; }

    /// <summary>The resource (plural) for errors, as kube-apiserver fills it; the kind for a delete.</summary>
    public string? Kind { get; init; }

    public string? Uid { get; init; }

    public List<ApiStatusCause>? Causes { get; init; }

    public int? RetryAfterSeconds { get; init; }
}
