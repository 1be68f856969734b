namespace Appliance.Api.OpenApi;

/// <summary>Short constructors for <see cref="SchemaNode"/>s, so the schema tables read like the types they describe.</summary>
internal static class Schema
{
    public static SchemaNode String(string description) => new() { Type = "string", Description = description };

    public static SchemaNode Enum(string description, params string[] values) => new() { Type = "string", Description = description, Enum = values };

    public static SchemaNode Bytes(string description) => new() { Type = "string", Format = "byte", Description = description };

    public static SchemaNode Int32(string description) => new() { Type = "integer", Format = "int32", Description = description };

    public static SchemaNode Int64(string description) => new() { Type = "integer", Format = "int64", Description = description };

    public static SchemaNode Boolean(string description) => new() { Type = "boolean", Description = description };

    /// <summary>meta/v1 Time and MicroTime: RFC 3339 strings.</summary>
    public static SchemaNode Time(string description) => new() { Type = "string", Format = "date-time", Description = description };

    /// <summary>A resource quantity (<c>500m</c>, <c>1Gi</c>, or a bare number).</summary>
    public static SchemaNode Quantity(string description) => new() { Type = "string", IntOrString = true, Description = description };

    /// <summary>An object whose content is not modelled: anything is accepted and kept.</summary>
    public static SchemaNode FreeForm(string description) => new() { Type = "object", Description = description };

    /// <summary>A map from strings to values of <paramref name="values"/>.</summary>
    public static SchemaNode Map(SchemaNode values, string description) => new() { Type = "object", AdditionalProperties = values, Description = description };

    public static SchemaNode StringMap(string description) => Map(new SchemaNode { Type = "string" }, description);

    public static SchemaNode Strings(string description, string listType = "atomic", string? patchStrategy = null) => new()
    {
        Type = "array",
        Items = new SchemaNode { Type = "string" },
        ListType = listType,
        PatchStrategy = patchStrategy,
        Description = description,
    };

    /// <summary>A field holding the component <paramref name="component"/>.</summary>
    public static SchemaNode Ref(SchemaNode component, string description) => new() { Ref = component, Description = description };

    /// <summary>A list of <paramref name="component"/>s; atomic unless merged by a key (strategic merge patch).</summary>
    public static SchemaNode List(SchemaNode component, string description, string? mergeKey = null, string? patchStrategy = null, string[]? mapKeys = null) => new()
    {
        Type = "array",
        Items = new SchemaNode { Ref = component },
        Description = description,
        PatchMergeKey = mergeKey,
        PatchStrategy = patchStrategy ?? (mergeKey is null ? null : "merge"),
        ListType = mapKeys is not null ? "map" : mergeKey is null ? "atomic" : null,
        ListMapKeys = mapKeys,
    };

    /// <summary>A component: a named object with the given fields, unknown fields rejected unless <paramref name="preserveUnknownFields"/>.</summary>
    public static SchemaNode Component(string name, string description, (string Name, SchemaNode Schema)[] properties, string[]? required = null, bool preserveUnknownFields = false) => new()
    {
        Name = name,
        Type = "object",
        Description = description,
        Properties = properties.ToDictionary(static p => p.Name, static p => p.Schema, StringComparer.Ordinal),
        Required = required,
        PreserveUnknownFields = preserveUnknownFields,
    };
}
