namespace Appliance.Api;

/// <summary>What a resource URL names: a kind, optionally a namespace, optionally one object.</summary>
internal readonly record struct RequestTarget(ResourceDefinition Definition, string? Namespace, string? Name);
