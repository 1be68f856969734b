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
            Namespaced = true, Prepare = ObjectRules.PrepareSecret, EncryptedAtRest = true,
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
            // Stored only (no controller runs it): the agent's registration manifest applies to a second
            // appliance standing in for a downstream cluster.
            Group = "apps", Version = "v1", Resource = "deployments", Kind = "Deployment", Singular = "deployment",
            Namespaced = true, ShortNames = ["deploy"], HasStatusSubresource = true,
            Columns = [new("Replicas", "integer", "The desired number of pods", static o => o["spec"]?["replicas"]?.DeepClone())],
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
            // A downstream cluster: reached through its agent's tunnel, or directly (issue 7 runs them).
            Group = ManagementGroup, Version = "v1", Resource = "clusters", Kind = "Cluster", Singular = "cluster",
            Namespaced = false, HasStatusSubresource = true, Prepare = ManagementObjectRules.PrepareCluster,
            Columns =
            [
                new("Display Name", "string", "The name shown to people", static o => o["spec"]?["displayName"]?.DeepClone()),
                new("Type", "string", "agent or direct", static o => o["spec"]?["type"]?.DeepClone()),
                new("Version", "string", "The cluster's Kubernetes version", static o => o["status"]?["kubernetesVersion"]?.DeepClone()),
            ],
        },
        new ResourceDefinition
        {
            Group = ManagementGroup, Version = "v1", Resource = "globalroles", Kind = "GlobalRole", Singular = "globalrole",
            Namespaced = false, NameRule = NameRule.PathSegment, Prepare = ManagementObjectRules.PrepareGlobalRole,
            Columns = [new("Display Name", "string", "The name shown to people", static o => o["displayName"]?.DeepClone())],
        },
        new ResourceDefinition
        {
            Group = ManagementGroup, Version = "v1", Resource = "globalrolebindings", Kind = "GlobalRoleBinding", Singular = "globalrolebinding",
            Namespaced = false, Prepare = ManagementObjectRules.PrepareGlobalRoleBinding,
            Columns = [new("Global Role", "string", "The role granted", static o => o["globalRoleName"]?.DeepClone()), SubjectColumn],
        },
        new ResourceDefinition
        {
            Group = ManagementGroup, Version = "v1", Resource = "roletemplates", Kind = "RoleTemplate", Singular = "roletemplate",
            Namespaced = false, NameRule = NameRule.PathSegment, Prepare = ManagementObjectRules.PrepareRoleTemplate,
            Columns = [new("Context", "string", "cluster or project", static o => o["context"]?.DeepClone())],
        },
        new ResourceDefinition
        {
            Group = ManagementGroup, Version = "v1", Resource = "clusterroletemplatebindings", Kind = "ClusterRoleTemplateBinding", Singular = "clusterroletemplatebinding",
            Namespaced = false, ShortNames = ["crtb"], Prepare = ManagementObjectRules.PrepareClusterRoleTemplateBinding,
            Columns =
            [
                new("Cluster", "string", "The cluster the role applies in", static o => o["clusterName"]?.DeepClone()),
                new("Role Template", "string", "The role granted", static o => o["roleTemplateName"]?.DeepClone()),
                SubjectColumn,
            ],
        },
        new ResourceDefinition
        {
            Group = ManagementGroup, Version = "v1", Resource = "projects", Kind = "Project", Singular = "project",
            Namespaced = false, Prepare = ManagementObjectRules.PrepareProject,
            Columns =
            [
                new("Cluster", "string", "The cluster the project is in", static o => o["spec"]?["clusterName"]?.DeepClone()),
                new("Display Name", "string", "The name shown to people", static o => o["spec"]?["displayName"]?.DeepClone()),
            ],
        },
        new ResourceDefinition
        {
            Group = ManagementGroup, Version = "v1", Resource = "projectroletemplatebindings", Kind = "ProjectRoleTemplateBinding", Singular = "projectroletemplatebinding",
            Namespaced = false, ShortNames = ["prtb"], Prepare = ManagementObjectRules.PrepareProjectRoleTemplateBinding,
            Columns =
            [
                new("Project", "string", "The project the role applies in", static o => o["projectName"]?.DeepClone()),
                new("Role Template", "string", "The role granted", static o => o["roleTemplateName"]?.DeepClone()),
                SubjectColumn,
            ],
        },
        new ResourceDefinition
        {
            Group = ManagementGroup, Version = "v1", Resource = "authconfigs", Kind = "AuthConfig", Singular = "authconfig",
            Namespaced = false, Prepare = ManagementObjectRules.PrepareAuthConfig,
            Columns =
            [
                new("Enabled", "boolean", "Whether the provider signs users in", static o => o["enabled"]?.DeepClone()),
                new("Access Mode", "string", "unrestricted, restricted or required", static o => o["accessMode"]?.DeepClone()),
            ],
        },
        new ResourceDefinition
        {
            Group = ManagementGroup, Version = "v1", Resource = "settings", Kind = "Setting", Singular = "setting",
            Namespaced = false, Prepare = ObjectRules.PrepareSetting,
            Columns = [new("Value", "string", "The setting's value", static o => o["value"]?.DeepClone())],
        },
    ]);

    private static readonly TableColumn SubjectColumn = new("Subject", "string", "The user or group principal bound",
        static o => o["userName"]?.DeepClone() ?? o["groupPrincipalName"]?.DeepClone());

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
