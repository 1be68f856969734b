namespace Appliance.Api.OpenApi;

/// <summary>
/// One OpenAPI v3 schema, as kube-openapi publishes them: enough of JSON schema for kubectl (explain,
/// strategic merge patch metadata) and for the server's own unknown-field checks. A node with a
/// <see cref="Name"/> is a component (<c>#/components/schemas/{Name}</c>); a node with <see cref="Ref"/>
/// stands for that component, carrying only its own description and patch extensions.
/// </summary>
public sealed class SchemaNode
{
    /// <summary>object, array, string, integer, number or boolean; null for "anything".</summary>
    public string? Type { get; init; }

    public string? Format { get; init; }

    public string? Description { get; init; }

    /// <summary>The component name, e.g. <c>io.k8s.api.core.v1.ConfigMap</c>; null for inline schemas.</summary>
    public string? Name { get; init; }

    /// <summary>The component this node refers to (written as <c>allOf: [{$ref}]</c>, as kube does).</summary>
    public SchemaNode? Ref { get; init; }

    public IReadOnlyDictionary<string, SchemaNode>? Properties { get; init; }

    public SchemaNode? Items { get; init; }

    /// <summary>The schema of every value of a map (an object keyed by arbitrary strings).</summary>
    public SchemaNode? AdditionalProperties { get; init; }

    public IReadOnlyList<string>? Required { get; init; }

    public IReadOnlyList<string>? Enum { get; init; }

    /// <summary>Fields not in <see cref="Properties"/> are kept, not unknown (<c>x-kubernetes-preserve-unknown-fields</c>).</summary>
    public bool PreserveUnknownFields { get; init; }

    /// <summary>A string or an integer, e.g. a resource quantity (<c>x-kubernetes-int-or-string</c>).</summary>
    public bool IntOrString { get; init; }

    public string? PatchMergeKey { get; init; }

    /// <summary><c>merge</c>, <c>replace</c>, <c>retainKeys</c> or a comma-separated combination.</summary>
    public string? PatchStrategy { get; init; }

    /// <summary><c>atomic</c>, <c>set</c> or <c>map</c>.</summary>
    public string? ListType { get; init; }

    public IReadOnlyList<string>? ListMapKeys { get; init; }

    /// <summary>The node the value is checked against: the referenced component, or this node.</summary>
    public SchemaNode Resolved => Ref ?? this;

    /// <summary>
    /// An object whose fields are listed: any other field is unknown (dropped, reported under
    /// field validation). Free-form objects (no properties, no additionalProperties) accept anything.
    /// </summary>
    public bool HasClosedFields => Properties is not null && !PreserveUnknownFields;
}
