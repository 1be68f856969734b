using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// The one place kinds are declared. Lookups by (group, version, resource) serve routing; the groups
/// and versions serve discovery. Immutable after construction, so it is shared without locks.
/// </summary>
public sealed class ResourceRegistry
{
    private readonly Dictionary<(string Group, string Version, string Resource), ResourceDefinition> _byResource = [];

    public ResourceRegistry(IEnumerable<ResourceDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var all = new List<ResourceDefinition>();
        foreach (ResourceDefinition definition in definitions)
        {
            if (!_byResource.TryAdd((definition.Group, definition.Version, definition.Resource), definition))
            {
                throw new ArgumentException($"Resource {definition.Resource} is declared twice in {definition.ApiVersion}.", nameof(definitions));
            }

            all.Add(definition);
        }

        All = all;
    }

    /// <summary>Every kind, in declaration order (the order discovery lists them in).</summary>
    public IReadOnlyList<ResourceDefinition> All { get; }

    /// <summary>The kinds the appliance serves today.</summary>
    public static ResourceRegistry CreateDefault() => new(
    [
        new ResourceDefinition
        {
            Group = "", Version = "v1", Resource = "namespaces", Kind = "Namespace", Singular = "namespace",
            Namespaced = false, ShortNames = ["ns"], NameIsDnsLabel = true, Prepare = ObjectRules.PrepareNamespace,
            Protobuf = ProtobufSchema.Namespace,
            Columns = [new("Status", "string", "The status of the namespace", static o => o["status"]?["phase"]?.DeepClone())],
        },
        new ResourceDefinition
        {
            Group = "", Version = "v1", Resource = "configmaps", Kind = "ConfigMap", Singular = "configmap",
            Namespaced = true, ShortNames = ["cm"], Prepare = ObjectRules.PrepareConfigMap,
            Protobuf = ProtobufSchema.ConfigMap,
            Columns = [new("Data", "integer", "Number of keys in data and binaryData", static o => Count(o, "data") + Count(o, "binaryData"))],
        },
        new ResourceDefinition
        {
            Group = "", Version = "v1", Resource = "secrets", Kind = "Secret", Singular = "secret",
            Namespaced = true, Prepare = ObjectRules.PrepareSecret,
            Protobuf = ProtobufSchema.Secret,
            Columns =
            [
                new("Type", "string", "The type of the secret", static o => o["type"]?.DeepClone()),
                new("Data", "integer", "Number of keys in data", static o => Count(o, "data")),
            ],
        },
        new ResourceDefinition
        {
            // Stored objects only (nothing records events yet): kubectl describe lists them for every object.
            Group = "", Version = "v1", Resource = "events", Kind = "Event", Singular = "event",
            Namespaced = true, ShortNames = ["ev"],
            SelectableFields =
            [
                "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type",
            ],
            Columns =
            [
                new("Type", "string", "The type of the event", static o => o["type"]?.DeepClone()),
                new("Reason", "string", "Why the event happened", static o => o["reason"]?.DeepClone()),
                new("Object", "string", "The object the event is about", static o => (Text(o["involvedObject"]?["kind"]) ?? "").ToLowerInvariant() + "/" + Text(o["involvedObject"]?["name"])),
                new("Message", "string", "What happened", static o => o["message"]?.DeepClone()),
            ],
        },
        new ResourceDefinition
        {
            Group = "management.appliance.io", Version = "v1", Resource = "settings", Kind = "Setting", Singular = "setting",
            Namespaced = false, Prepare = ObjectRules.PrepareSetting,
            Columns = [new("Value", "string", "The setting's value", static o => o["value"]?.DeepClone())],
        },
    ]);

    private static string? Text(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static int Count(JsonObject obj, string property) => obj[property] is JsonObject map ? map.Count : 0;

    public ResourceDefinition? Find(string group, string version, string resource)
        => _byResource.GetValueOrDefault((group, version, resource));

    /// <summary>True when some kind is served in this group and version (a discovery document exists).</summary>
    public bool HasGroupVersion(string group, string version)
    {
        foreach (ResourceDefinition definition in All)
        {
            if (definition.Group == group && definition.Version == version)
            {
                return true;
            }
        }

        return false;
    }
}
