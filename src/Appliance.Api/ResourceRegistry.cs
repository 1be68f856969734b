using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// The one place kinds are declared. Lookups by (group, version, resource) serve routing; the groups
/// and versions serve discovery. Immutable after construction, so it is shared without locks.
/// </summary>
public sealed class ResourceRegistry
{
    public const string RbacGroup = "rbac.authorization.k8s.io";
    public const string ManagementGroup = "management.appliance.io";

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
            Namespaced = false, ShortNames = ["ns"], NameRule = NameRule.DnsLabel, HasStatusSubresource = true, Prepare = ObjectRules.PrepareNamespace,
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
            Group = "", Version = "v1", Resource = "serviceaccounts", Kind = "ServiceAccount", Singular = "serviceaccount",
            Namespaced = true, ShortNames = ["sa"], Protobuf = ProtobufSchema.ServiceAccount, IssuesTokens = true,
        },
        new ResourceDefinition
        {
            // Stored only (no kubelet): a second appliance can stand in for a downstream cluster with nodes to count.
            Group = "", Version = "v1", Resource = "nodes", Kind = "Node", Singular = "node",
            Namespaced = false, ShortNames = ["no"], HasStatusSubresource = true,
            Columns =
            [
                new("Status", "string", "The status of the node", static o => NodeReady(o)),
                new("Version", "string", "Kubelet version", static o => o["status"]?["nodeInfo"]?["kubeletVersion"]?.DeepClone()),
            ],
        },
        new ResourceDefinition
        {
            // Stored only (no scheduler, no kubelet): pods to list through the proxy in tests.
            Group = "", Version = "v1", Resource = "pods", Kind = "Pod", Singular = "pod",
            Namespaced = true, ShortNames = ["po"], HasStatusSubresource = true, SelectableFields = ["spec.nodeName", "status.phase"],
            Columns = [new("Status", "string", "The phase of the pod", static o => o["status"]?["phase"]?.DeepClone())],
        },
        new ResourceDefinition
        {
            Group = RbacGroup, Version = "v1", Resource = "roles", Kind = "Role", Singular = "role", NameRule = NameRule.PathSegment,
            Namespaced = true, Prepare = RbacObjectRules.PrepareRole, Protobuf = ProtobufSchema.Role,
        },
        new ResourceDefinition
        {
            Group = RbacGroup, Version = "v1", Resource = "clusterroles", Kind = "ClusterRole", Singular = "clusterrole", NameRule = NameRule.PathSegment,
            Namespaced = false, Prepare = RbacObjectRules.PrepareClusterRole, Protobuf = ProtobufSchema.Role,
        },
        new ResourceDefinition
        {
            Group = RbacGroup, Version = "v1", Resource = "rolebindings", Kind = "RoleBinding", Singular = "rolebinding", NameRule = NameRule.PathSegment,
            Namespaced = true, Prepare = RbacObjectRules.PrepareRoleBinding, Protobuf = ProtobufSchema.RoleBinding,
            Columns = [new("Role", "string", "The role the binding grants", RoleRefCell)],
        },
        new ResourceDefinition
        {
            Group = RbacGroup, Version = "v1", Resource = "clusterrolebindings", Kind = "ClusterRoleBinding", Singular = "clusterrolebinding", NameRule = NameRule.PathSegment,
            Namespaced = false, Prepare = RbacObjectRules.PrepareClusterRoleBinding, Protobuf = ProtobufSchema.RoleBinding,
            Columns = [new("Role", "string", "The role the binding grants", RoleRefCell)],
        },
        new ResourceDefinition
        {
            Group = "authorization.k8s.io", Version = "v1", Resource = "selfsubjectaccessreviews", Kind = "SelfSubjectAccessReview",
            Singular = "selfsubjectaccessreview", Namespaced = false, Stored = false, Verbs = ["create"],
            Protobuf = ProtobufSchema.SelfSubjectAccessReview,
        },
        new ResourceDefinition
        {
            Group = "authentication.k8s.io", Version = "v1", Resource = "selfsubjectreviews", Kind = "SelfSubjectReview",
            Singular = "selfsubjectreview", Namespaced = false, Stored = false, Verbs = ["create"],
            Protobuf = ProtobufSchema.SelfSubjectReview,
        },
        new ResourceDefinition
        {
            // A person; local users and the principals of external providers link to one (issue 5).
            Group = ManagementGroup, Version = "v1", Resource = "users", Kind = "User", Singular = "user",
            Namespaced = false, Prepare = RbacObjectRules.PrepareUser,
            Columns =
            [
                new("Username", "string", "The login name", static o => o["username"]?.DeepClone()),
                new("Display Name", "string", "The name shown to people", static o => o["displayName"]?.DeepClone()),
                new("Enabled", "boolean", "Whether the user may sign in", static o => o["enabled"]?.DeepClone()),
            ],
        },
        new ResourceDefinition
        {
            // token-xxxxx:SECRET as the client holds it; only an HMAC of SECRET is stored (Appliance.Auth.TokenHasher).
            Group = ManagementGroup, Version = "v1", Resource = "tokens", Kind = "Token", Singular = "token",
            Namespaced = false, Prepare = RbacObjectRules.PrepareToken,
            Columns =
            [
                new("User", "string", "The user the token authenticates as", static o => o["userId"]?.DeepClone()),
                new("Type", "string", "session, kubeconfig or apikey", static o => o["type"]?.DeepClone()),
                new("Expires", "string", "When the token stops working", static o => o["expiresAt"]?.DeepClone() ?? "never"),
            ],
        },
        new ResourceDefinition
        {
            Group = ManagementGroup, Version = "v1", Resource = "settings", Kind = "Setting", Singular = "setting",
            Namespaced = false, Prepare = ObjectRules.PrepareSetting,
            Columns = [new("Value", "string", "The setting's value", static o => o["value"]?.DeepClone())],
        },
    ]);

    private static JsonNode? RoleRefCell(JsonObject binding)
        => binding["roleRef"] is JsonObject roleRef ? Text(roleRef["kind"]) + "/" + Text(roleRef["name"]) : null;

    /// <summary>Ready, NotReady or Unknown from the Ready condition, as kubectl prints nodes.</summary>
    private static JsonNode? NodeReady(JsonObject node)
    {
        if (node["status"]?["conditions"] is JsonArray conditions)
        {
            foreach (JsonNode? condition in conditions)
            {
                if (Text(condition?["type"]) == "Ready")
                {
                    return Text(condition?["status"]) switch { "True" => "Ready", "False" => "NotReady", _ => "Unknown" };
                }
            }
        }

        return "Unknown";
    }

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
