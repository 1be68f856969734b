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
        },
        new ResourceDefinition
        {
            Group = "", Version = "v1", Resource = "configmaps", Kind = "ConfigMap", Singular = "configmap",
            Namespaced = true, ShortNames = ["cm"], Prepare = ObjectRules.PrepareConfigMap,
            Protobuf = ProtobufSchema.ConfigMap,
        },
        new ResourceDefinition
        {
            Group = "", Version = "v1", Resource = "secrets", Kind = "Secret", Singular = "secret",
            Namespaced = true, Prepare = ObjectRules.PrepareSecret,
            Protobuf = ProtobufSchema.Secret,
        },
        new ResourceDefinition
        {
            Group = "management.appliance.io", Version = "v1", Resource = "settings", Kind = "Setting", Singular = "setting",
            Namespaced = false, Prepare = ObjectRules.PrepareSetting,
        },
    ]);

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
