namespace Appliance.Api;

/// <summary>One entry of an APIResourceList (<c>meta/v1 APIResource</c>), what <c>kubectl api-resources</c> prints.</summary>
public sealed class ApiResource
{
    public required string Name { get; init; }

    public required string SingularName { get; init; }

    public required bool Namespaced { get; init; }

    public required string Kind { get; init; }

    public required IReadOnlyList<string> Verbs { get; init; }

    public IReadOnlyList<string>? ShortNames { get; init; }

    /// <summary>Set when a subresource's kind is in another group (serviceaccounts/token is a TokenRequest).</summary>
    public string? Group { get; init; }

    public string? Version { get; init; }
}
