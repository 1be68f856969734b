namespace Appliance.Api;

/// <summary>
/// What a resource URL names: a kind, optionally a namespace, optionally one object, and optionally a
/// subresource of it (only <c>status</c> today).
/// </summary>
internal readonly record struct RequestTarget(ResourceDefinition Definition, string? Namespace, string? Name, string? Subresource = null)
{
    public bool IsStatus => Subresource == ResourceEngine.StatusSubresource;
}
