using System.Text.Json;

namespace Appliance.Api.OpenApi;

/// <summary>
/// Writes one group version's OpenAPI v3 document as kube-apiserver publishes it: a path per resource
/// route with its operations (operationId, <c>x-kubernetes-action</c>, <c>x-kubernetes-group-version-kind</c>,
/// query parameters) and the schemas under <c>components/schemas</c>. kubectl reads it to decide that the
/// server validates fields (a <c>fieldValidation</c> parameter on the kind's PATCH), which patch type
/// <c>apply</c> sends, and for <c>explain</c>.
/// </summary>
internal static class OpenApiWriter
{
    private const string SchemaRefPrefix = "#/components/schemas/";

    private static readonly Parameter DryRun = new("dryRun", "boolean-like: All processes the request without persisting it.", "string");
    private static readonly Parameter FieldManager = new("fieldManager", "The name of the actor making the change.", "string");
    private static readonly Parameter FieldValidation = new("fieldValidation",
        "What to do with unknown or duplicate fields in the body: Ignore drops them, Warn (the default) drops them with a Warning header each, Strict fails the request.",
        "string");

    private static readonly Parameter[] ListParameters =
    [
        new("allowWatchBookmarks", "Ask for BOOKMARK events on a watch.", "boolean"),
        new("continue", "The token from a previous page, to get the next one.", "string"),
        new("fieldSelector", "Restrict the list by fields, e.g. metadata.name=x.", "string"),
        new("labelSelector", "Restrict the list by labels.", "string"),
        new("limit", "The most items to return; a continue token follows when there are more.", "integer"),
        new("resourceVersion", "Read at least as new as this version (list), or watch from it.", "string"),
        new("resourceVersionMatch", "NotOlderThan or Exact: how resourceVersion applies to a list.", "string"),
        new("timeoutSeconds", "Ends a watch after this many seconds.", "integer"),
        new("watch", "Stream changes instead of listing.", "boolean"),
    ];

    private static readonly Parameter[] DeleteCollectionParameters =
    [
        DryRun,
        new("fieldSelector", "Delete only objects matching these fields.", "string"),
        new("labelSelector", "Delete only objects matching these labels.", "string"),
    ];

    public static byte[] WriteGroupVersion(IReadOnlyList<ResourceDefinition> definitions)
    {
        var components = new SortedDictionary<string, SchemaNode>(StringComparer.Ordinal);
        var kindOf = new Dictionary<string, (string Group, string Version, string Kind)>(StringComparer.Ordinal);
        foreach (SchemaNode shared in MetaSchemas.Shared)
        {
            Collect(shared, components);
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("openapi", "3.0.0");
            writer.WriteStartObject("info");
            writer.WriteString("title", "Appliance");
            writer.WriteString("version", "v1.32.0");
            writer.WriteEndObject();
            writer.WriteStartObject("paths");
            foreach (ResourceDefinition definition in definitions)
            {
                KindSchema? modelled = KindSchemas.Find(definition.Group, definition.Version, definition.Kind);
                SchemaNode root = modelled?.Root ?? FreeFormKind(definition);
                SchemaNode list = ListOf(root);
                Collect(root, components);
                Collect(list, components);
                kindOf[root.Name!] = (definition.Group, definition.Version, definition.Kind);
                kindOf[list.Name!] = (definition.Group, definition.Version, definition.Kind + "List");
                WritePaths(writer, definition, root, list, modelled?.StrategicMergePatch ?? false);
            }

            writer.WriteEndObject();
            writer.WriteStartObject("components");
            writer.WriteStartObject("schemas");
            foreach ((string name, SchemaNode schema) in components)
            {
                writer.WritePropertyName(name);
                WriteSchema(writer, schema, component: true, kindOf.TryGetValue(name, out var gvk) ? gvk : null);
            }

            writer.WriteEndObject();
            writer.WriteStartObject("securitySchemes");
            writer.WriteStartObject("BearerToken");
            writer.WriteString("type", "apiKey");
            writer.WriteString("description", "Bearer Token authentication");
            writer.WriteString("name", "authorization");
            writer.WriteString("in", "header");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteStartArray("security");
            writer.WriteStartObject();
            writer.WriteStartArray("BearerToken");
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The component name kube-openapi would give the kind, e.g. io.k8s.api.rbac.v1.Role.</summary>
    public static string ComponentName(string group, string version, string kind)
    {
        if (group.Length == 0)
        {
            return $"io.k8s.api.core.{version}.{kind}";
        }

        if (group.EndsWith(".k8s.io", StringComparison.Ordinal))
        {
            return $"io.k8s.api.{group[..group.IndexOf('.', StringComparison.Ordinal)]}.{version}.{kind}";
        }

        // Custom resources are named by their reversed group, e.g. io.cattle.management.v3.Setting.
        string[] parts = group.Split('.');
        Array.Reverse(parts);
        return $"{string.Join('.', parts)}.{version}.{kind}";
    }

    // A served kind nobody modelled yet: published like a custom resource without a schema, so kubectl
    // still finds its operations, and every field is kept.
    private static SchemaNode FreeFormKind(ResourceDefinition definition) => new()
    {
        Name = ComponentName(definition.Group, definition.Version, definition.Kind),
        Type = "object",
        Description = definition.Kind + " (its fields are not described yet).",
        Properties = new Dictionary<string, SchemaNode>(StringComparer.Ordinal)
        {
            ["apiVersion"] = Schema.String("The versioned schema of this representation."),
            ["kind"] = Schema.String("The kind of object this is."),
            ["metadata"] = Schema.Ref(MetaSchemas.ObjectMeta, "Standard object metadata."),
        },
        PreserveUnknownFields = true,
    };

    private static SchemaNode ListOf(SchemaNode kind) => Schema.Component(kind.Name + "List", "A list of " + kind.Name![(kind.Name!.LastIndexOf('.') + 1)..] + " objects.",
        [
            ("apiVersion", Schema.String("The versioned schema of this representation.")),
            ("items", new SchemaNode { Type = "array", Items = new SchemaNode { Ref = kind }, Description = "The objects." }),
            ("kind", Schema.String("The kind of list this is.")),
            ("metadata", Schema.Ref(MetaSchemas.ListMeta, "Standard list metadata.")),
        ],
        required: ["items"]);

    /// <summary>Adds <paramref name="node"/>'s component (if named) and every component it refers to.</summary>
    private static void Collect(SchemaNode node, SortedDictionary<string, SchemaNode> components)
    {
        if (node.Ref is not null)
        {
            Collect(node.Ref, components);
            return;
        }

        if (node.Name is not null && !components.TryAdd(node.Name, node))
        {
            return;
        }

        foreach (SchemaNode property in node.Properties?.Values ?? [])
        {
            Collect(property, components);
        }

        if (node.Items is not null)
        {
            Collect(node.Items, components);
        }

        if (node.AdditionalProperties is not null)
        {
            Collect(node.AdditionalProperties, components);
        }
    }

    private static void WritePaths(Utf8JsonWriter writer, ResourceDefinition definition, SchemaNode root, SchemaNode list, bool strategicMergePatch)
    {
        string prefix = definition.Group.Length == 0 ? "/api/" + definition.Version : "/apis/" + definition.Group + "/" + definition.Version;
        string collection = definition.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{definition.Resource}" : $"{prefix}/{definition.Resource}";
        string scope = definition.Namespaced ? "Namespaced" : "";
        var operation = new OperationContext(definition, root, list, strategicMergePatch);
        bool Serves(string verb) => definition.Verbs.Contains(verb);

        if (Serves("list") || Serves("create") || Serves("deletecollection"))
        {
            writer.WriteStartObject(collection);
            if (Serves("list"))
            {
                WriteOperation(writer, "get", operation, "list", $"list{{0}}{scope}{definition.Kind}", $"list or watch objects of kind {definition.Kind}", ListParameters);
            }

            if (Serves("create"))
            {
                WriteOperation(writer, "post", operation, "post", $"create{{0}}{scope}{definition.Kind}", $"create a {definition.Kind}", [DryRun, FieldManager, FieldValidation]);
            }

            if (Serves("deletecollection"))
            {
                WriteOperation(writer, "delete", operation, "deletecollection", $"delete{{0}}Collection{scope}{definition.Kind}", $"delete a collection of {definition.Kind}", DeleteCollectionParameters);
            }

            WritePathParameters(writer, definition.Namespaced, name: false);
            writer.WriteEndObject();
        }

        // Request-only kinds (access reviews) have no objects to name.
        if (Serves("get") || Serves("update") || Serves("patch") || Serves("delete"))
        {
            writer.WriteStartObject(collection + "/{name}");
            if (Serves("get"))
            {
                WriteOperation(writer, "get", operation, "get", $"read{{0}}{scope}{definition.Kind}", $"read the specified {definition.Kind}", []);
            }

            if (Serves("update"))
            {
                WriteOperation(writer, "put", operation, "put", $"replace{{0}}{scope}{definition.Kind}", $"replace the specified {definition.Kind}", [DryRun, FieldManager, FieldValidation]);
            }

            if (Serves("patch"))
            {
                WriteOperation(writer, "patch", operation, "patch", $"patch{{0}}{scope}{definition.Kind}", $"partially update the specified {definition.Kind}", [DryRun, FieldManager, FieldValidation]);
            }

            if (Serves("delete"))
            {
                WriteOperation(writer, "delete", operation, "delete", $"delete{{0}}{scope}{definition.Kind}", $"delete a {definition.Kind}", [DryRun]);
            }

            WritePathParameters(writer, definition.Namespaced, name: true);
            writer.WriteEndObject();
        }

        // Same operations and parameters as the object's: kubectl decides from whichever PATCH of the kind it finds first.
        if (definition.HasStatusSubresource)
        {
            writer.WriteStartObject(collection + "/{name}/status");
            WriteOperation(writer, "get", operation, "get", $"read{{0}}{scope}{definition.Kind}Status", $"read status of the specified {definition.Kind}", []);
            WriteOperation(writer, "put", operation, "put", $"replace{{0}}{scope}{definition.Kind}Status", $"replace status of the specified {definition.Kind}", [DryRun, FieldManager, FieldValidation]);
            WriteOperation(writer, "patch", operation, "patch", $"patch{{0}}{scope}{definition.Kind}Status", $"partially update status of the specified {definition.Kind}", [DryRun, FieldManager, FieldValidation]);
            WritePathParameters(writer, definition.Namespaced, name: true);
            writer.WriteEndObject();
        }

        if (definition.Namespaced && Serves("list"))
        {
            writer.WriteStartObject($"{prefix}/{definition.Resource}");
            WriteOperation(writer, "get", operation, "list", $"list{{0}}{definition.Kind}ForAllNamespaces", $"list or watch objects of kind {definition.Kind} in every namespace", ListParameters);
            writer.WriteEndObject();
        }
    }

    private static void WriteOperation(Utf8JsonWriter writer, string method, OperationContext operation, string action, string operationId, string description, Parameter[] parameters)
    {
        ResourceDefinition definition = operation.Definition;
        writer.WriteStartObject(method);
        writer.WriteString("description", description);
        writer.WriteString("operationId", string.Format(System.Globalization.CultureInfo.InvariantCulture, operationId, OperationGroupVersion(definition.Group, definition.Version)));
        writer.WriteStartArray("tags");
        writer.WriteStringValue(TagOf(definition.Group, definition.Version));
        writer.WriteEndArray();
        if (parameters.Length > 0)
        {
            writer.WriteStartArray("parameters");
            foreach (Parameter parameter in parameters)
            {
                WriteParameter(writer, parameter.Name, "query", parameter.Description, parameter.Type, required: false);
            }

            writer.WriteEndArray();
        }

        switch (action)
        {
            case "post" or "put":
                WriteBody(writer, [("*/*", operation.Root)], required: true);
                break;
            case "patch":
                List<(string, SchemaNode)> patchTypes = [("application/json-patch+json", MetaSchemas.Patch), ("application/merge-patch+json", MetaSchemas.Patch)];
                if (operation.StrategicMergePatch)
                {
                    patchTypes.Add(("application/strategic-merge-patch+json", MetaSchemas.Patch));
                }

                WriteBody(writer, patchTypes, required: true);
                break;
            case "delete" or "deletecollection":
                WriteBody(writer, [("*/*", MetaSchemas.DeleteOptions)], required: false);
                break;
        }

        writer.WriteStartObject("responses");
        switch (action)
        {
            case "list":
                WriteResponse(writer, "200", "OK", operation.List);
                break;
            case "post":
                WriteResponse(writer, "200", "OK", operation.Root);
                WriteResponse(writer, "201", "Created", operation.Root);
                break;
            case "put":
                WriteResponse(writer, "200", "OK", operation.Root);
                WriteResponse(writer, "201", "Created", operation.Root);
                break;
            case "delete":
                WriteResponse(writer, "200", "OK", MetaSchemas.Status);
                break;
            case "deletecollection":
                WriteResponse(writer, "200", "OK", operation.List);
                break;
            default:
                WriteResponse(writer, "200", "OK", operation.Root);
                break;
        }

        writer.WriteStartObject("401");
        writer.WriteString("description", "Unauthorized");
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteString("x-kubernetes-action", action);
        writer.WriteStartObject("x-kubernetes-group-version-kind");
        writer.WriteString("group", definition.Group);
        writer.WriteString("kind", definition.Kind);
        writer.WriteString("version", definition.Version);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WritePathParameters(Utf8JsonWriter writer, bool namespaced, bool name)
    {
        if (!namespaced && !name)
        {
            return;
        }

        writer.WriteStartArray("parameters");
        if (name)
        {
            WriteParameter(writer, "name", "path", "name of the object", "string", required: true);
        }

        if (namespaced)
        {
            WriteParameter(writer, "namespace", "path", "object name and auth scope, such as for teams and projects", "string", required: true);
        }

        writer.WriteEndArray();
    }

    private static void WriteParameter(Utf8JsonWriter writer, string name, string @in, string description, string type, bool required)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteString("in", @in);
        writer.WriteString("description", description);
        if (required)
        {
            writer.WriteBoolean("required", true);
        }

        writer.WriteStartObject("schema");
        writer.WriteString("type", type);
        writer.WriteBoolean("uniqueItems", true);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteBody(Utf8JsonWriter writer, List<(string MediaType, SchemaNode Schema)> content, bool required)
    {
        writer.WriteStartObject("requestBody");
        writer.WriteStartObject("content");
        foreach ((string mediaType, SchemaNode schema) in content)
        {
            writer.WriteStartObject(mediaType);
            writer.WriteStartObject("schema");
            writer.WriteString("$ref", SchemaRefPrefix + schema.Name);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        if (required)
        {
            writer.WriteBoolean("required", true);
        }

        writer.WriteEndObject();
    }

    private static void WriteResponse(Utf8JsonWriter writer, string code, string description, SchemaNode schema)
    {
        writer.WriteStartObject(code);
        writer.WriteString("description", description);
        writer.WriteStartObject("content");
        writer.WriteStartObject("application/json");
        writer.WriteStartObject("schema");
        writer.WriteString("$ref", SchemaRefPrefix + schema.Name);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>
    /// A schema; a component is written in full where it is declared, and as kube's
    /// <c>allOf: [{$ref}]</c> wherever it is used (kubectl explain and strategic merge patch follow both).
    /// </summary>
    private static void WriteSchema(Utf8JsonWriter writer, SchemaNode node, bool component, (string Group, string Version, string Kind)? gvk = null)
    {
        writer.WriteStartObject();
        SchemaNode? target = node.Ref ?? (!component && node.Name is not null ? node : null);
        if (target is not null)
        {
            writer.WriteStartArray("allOf");
            writer.WriteStartObject();
            writer.WriteString("$ref", SchemaRefPrefix + target.Name);
            writer.WriteEndObject();
            writer.WriteEndArray();
            if (node.Description is not null && node != target)
            {
                writer.WriteString("description", node.Description);
            }

            WriteExtensions(writer, node);
            writer.WriteEndObject();
            return;
        }

        if (node.Description is { Length: > 0 })
        {
            writer.WriteString("description", node.Description);
        }

        if (node.Type is not null)
        {
            writer.WriteString("type", node.Type);
        }

        if (node.Format is not null)
        {
            writer.WriteString("format", node.Format);
        }

        if (node.Enum is not null)
        {
            writer.WriteStartArray("enum");
            foreach (string value in node.Enum)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        if (node.Properties is not null)
        {
            writer.WriteStartObject("properties");
            foreach ((string name, SchemaNode property) in node.Properties.OrderBy(static p => p.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(name);
                WriteSchema(writer, property, component: false);
            }

            writer.WriteEndObject();
        }

        if (node.Required is not null)
        {
            writer.WriteStartArray("required");
            foreach (string name in node.Required)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }

        if (node.Items is not null)
        {
            writer.WritePropertyName("items");
            WriteSchema(writer, node.Items, component: false);
        }

        if (node.AdditionalProperties is not null)
        {
            writer.WritePropertyName("additionalProperties");
            WriteSchema(writer, node.AdditionalProperties, component: false);
        }

        WriteExtensions(writer, node);
        if (gvk is { } kind)
        {
            writer.WriteStartArray("x-kubernetes-group-version-kind");
            writer.WriteStartObject();
            writer.WriteString("group", kind.Group);
            writer.WriteString("kind", kind.Kind);
            writer.WriteString("version", kind.Version);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteExtensions(Utf8JsonWriter writer, SchemaNode node)
    {
        if (node.IntOrString)
        {
            writer.WriteBoolean("x-kubernetes-int-or-string", true);
        }

        if (node.ListMapKeys is not null)
        {
            writer.WriteStartArray("x-kubernetes-list-map-keys");
            foreach (string key in node.ListMapKeys)
            {
                writer.WriteStringValue(key);
            }

            writer.WriteEndArray();
        }

        if (node.ListType is not null)
        {
            writer.WriteString("x-kubernetes-list-type", node.ListType);
        }

        if (node.PatchMergeKey is not null)
        {
            writer.WriteString("x-kubernetes-patch-merge-key", node.PatchMergeKey);
        }

        if (node.PatchStrategy is not null)
        {
            writer.WriteString("x-kubernetes-patch-strategy", node.PatchStrategy);
        }

        if (node.PreserveUnknownFields)
        {
            writer.WriteBoolean("x-kubernetes-preserve-unknown-fields", true);
        }
    }

    // kube's operation ids and tags: CoreV1 / core_v1, RbacAuthorizationV1 / rbacAuthorization_v1.
    private static string OperationGroupVersion(string group, string version)
    {
        string name = group.Length == 0 ? "core" : group.EndsWith(".k8s.io", StringComparison.Ordinal) ? group[..^".k8s.io".Length] : group;
        return string.Concat(name.Split('.', '-').Select(Capitalize)) + Capitalize(version);
    }

    private static string TagOf(string group, string version)
    {
        string name = group.Length == 0 ? "core" : group.EndsWith(".k8s.io", StringComparison.Ordinal) ? group[..^".k8s.io".Length] : group;
        string[] parts = name.Split('.', '-');
        return parts[0] + string.Concat(parts.Skip(1).Select(Capitalize)) + "_" + version;
    }

    private static string Capitalize(string word) => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..];

    private sealed record Parameter(string Name, string Description, string Type);

    private sealed record OperationContext(ResourceDefinition Definition, SchemaNode Root, SchemaNode List, bool StrategicMergePatch);
}
