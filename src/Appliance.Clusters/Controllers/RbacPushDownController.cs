using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api;
using Appliance.Clusters.Agents;
using Appliance.Clusters.Downstream;
using Appliance.Store;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Appliance.Clusters.Controllers;

/// <summary>
/// Makes each agent cluster's RBAC what its role bindings here say, for the names the proxy impersonates:
/// a RoleTemplate becomes the ClusterRole <c>appliance-rt-{template}</c>; a ClusterRoleTemplateBinding the
/// ClusterRoleBinding <c>appliance-crtb-{name}</c> of its user id or group principal; a
/// ProjectRoleTemplateBinding a RoleBinding <c>appliance-prtb-{name}</c> in each namespace of the project;
/// the global administrators (users and groups bound here to cluster-admin, or to the GlobalRole <c>admin</c>, as
/// in Rancher) are cluster-admin in every cluster through <c>appliance-global-admins</c>.
/// Everything it makes carries the label <c>app.kubernetes.io/managed-by=appliance</c>: what carries it and
/// is not wanted (a deleted binding, a role edited downstream) is removed or put back, at every change here,
/// every agent connect and every resync, so a cluster offline during a change catches up when it returns.
/// Bindings carry the finalizer <c>management.appliance.io/rbac-push-down</c>: a deleted binding stays
/// (Terminating) until its rights are gone downstream, or its cluster is.
/// </summary>
public sealed partial class RbacPushDownController : Controller
{
    private const string ManagedBy = "app.kubernetes.io/managed-by";
    private const string ManagedSelector = ManagedBy + "=appliance";
    private const string RbacGroup = "rbac.authorization.k8s.io";
    private const string Prefix = "/registry/management.appliance.io/";
    private const string GlobalAdminsBinding = "appliance-global-admins";
    private const string Finalizer = "management.appliance.io/rbac-push-down";

    private readonly DownstreamClients _clients;

    public RbacPushDownController(IServiceProvider services, AgentSessions sessions, DownstreamClients clients, ClustersOptions options, ILogger<RbacPushDownController> logger)
        : base(services, options.ResyncPeriod, logger)
    {
        _clients = clients;
        sessions.Changed += Enqueue;
    }

    protected override string ControllerName => "rbac-push-down";

    protected override IEnumerable<string> AllKeys()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonObject cluster in Objects.List(ObjectNames.ManagementGroup, "clusters").Items)
        {
            keys.Add(ObjectName(cluster));
        }

        // A binding of a deleted cluster still waits for its finalizer to be released.
        foreach (JsonObject binding in Objects.List(ObjectNames.ManagementGroup, "clusterroletemplatebindings").Items)
        {
            if (Text(binding["clusterName"]) is { Length: > 0 } clusterName)
            {
                keys.Add(clusterName);
            }
        }

        return keys;
    }

    protected override void KeysOf(WatchEvent change, ICollection<string> keys)
    {
        string storeKey = change.Key;
        if (storeKey.StartsWith("/registry/" + RbacGroup + "/clusterrolebindings/", StringComparison.Ordinal))
        {
            // Who is a global administrator may have changed.
            foreach (string key in AllKeys())
            {
                keys.Add(key);
            }

            return;
        }

        if (!storeKey.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return;
        }

        string rest = storeKey[Prefix.Length..];
        // Role templates, projects and bindings can concern any cluster: look at every one (they are few).
        if (rest.StartsWith("globalrolebindings/", StringComparison.Ordinal) || rest.StartsWith("roletemplates/", StringComparison.Ordinal) || rest.StartsWith("clusterroletemplatebindings/", StringComparison.Ordinal)
            || rest.StartsWith("projectroletemplatebindings/", StringComparison.Ordinal) || rest.StartsWith("projects/", StringComparison.Ordinal))
        {
            foreach (string key in AllKeys())
            {
                keys.Add(key);
            }
        }
    }

    protected override async Task<TimeSpan?> ReconcileAsync(string clusterId, CancellationToken cancellationToken)
    {
        JsonObject? cluster = Objects.Get(ObjectNames.ManagementGroup, "clusters", null, clusterId);
        List<(string Resource, JsonObject Binding)> bindings = BindingsOf(clusterId);
        if (cluster is null || cluster["spec"]?["type"]?.GetValue<string>() != "agent")
        {
            // Nothing of theirs is (or will be) downstream: deleted bindings go at once.
            await ReleaseDeletedAsync(bindings).ConfigureAwait(false);
            return null;
        }

        foreach ((string resource, JsonObject binding) in bindings)
        {
            if (!IsDeleting(binding) && !HasFinalizer(binding))
            {
                await UpdateFinalizerAsync(resource, ObjectName(binding), add: true).ConfigureAwait(false);
            }
        }

        if (_clients.Find(clusterId) is not { } client)
        {
            // Nothing to reach now (deleted bindings wait, Terminating); its agent connecting queues the cluster again.
            return null;
        }

        Desired desired = DesiredState(clusterId);
        try
        {
            await ApplyClusterRolesAsync(client, desired.ClusterRoles, cancellationToken).ConfigureAwait(false);
            await ApplyClusterRoleBindingsAsync(client, desired.ClusterRoleBindings, cancellationToken).ConfigureAwait(false);
            await ApplyRoleBindingsAsync(client, desired.RoleBindings, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            string reason = e is HttpOperationException http ? $"{(int)http.Response.StatusCode}: {http.Response.Content}" : e.Message;
            await SetSyncedAsync(clusterId, false, "PushFailed", reason.Length <= 200 ? reason : reason[..200]).ConfigureAwait(false);
            throw;
        }

        await SetSyncedAsync(clusterId, true, "RBACPushed", "the cluster's RBAC matches its role bindings here").ConfigureAwait(false);
        await ReleaseDeletedAsync(bindings).ConfigureAwait(false);
        return null;
    }

    /// <summary>The cluster's role template bindings: its CRTBs, and the PRTBs of its projects (and of projects gone, which belong to no cluster).</summary>
    private List<(string Resource, JsonObject Binding)> BindingsOf(string clusterId)
    {
        var bindings = new List<(string, JsonObject)>();
        foreach (JsonObject binding in Objects.List(ObjectNames.ManagementGroup, "clusterroletemplatebindings").Items)
        {
            if (Text(binding["clusterName"]) == clusterId)
            {
                bindings.Add(("clusterroletemplatebindings", binding));
            }
        }

        foreach (JsonObject binding in Objects.List(ObjectNames.ManagementGroup, "projectroletemplatebindings").Items)
        {
            JsonObject? project = Text(binding["projectName"]) is { Length: > 0 } projectName ? Objects.Get(ObjectNames.ManagementGroup, "projects", null, projectName) : null;
            if (project is null || Text(project["spec"]?["clusterName"]) == clusterId)
            {
                bindings.Add(("projectroletemplatebindings", binding));
            }
        }

        return bindings;
    }

    /// <summary>Lets deleted bindings go: their rights are gone downstream (or there is no downstream).</summary>
    private async Task ReleaseDeletedAsync(List<(string Resource, JsonObject Binding)> bindings)
    {
        foreach ((string resource, JsonObject binding) in bindings)
        {
            if (IsDeleting(binding) && HasFinalizer(binding))
            {
                await UpdateFinalizerAsync(resource, ObjectName(binding), add: false).ConfigureAwait(false);
            }
        }
    }

    private async Task UpdateFinalizerAsync(string resource, string name, bool add)
    {
        try
        {
            await Objects.UpdateAsync(ObjectNames.ManagementGroup, resource, null, name, binding =>
            {
                JsonObject metadata = (JsonObject)binding["metadata"]!;
                JsonArray finalizers = metadata["finalizers"] as JsonArray ?? [];
                metadata["finalizers"] = finalizers;
                for (int i = finalizers.Count - 1; i >= 0; i--)
                {
                    if (Text(finalizers[i]) == Finalizer)
                    {
                        finalizers.RemoveAt(i);
                    }
                }

                if (add)
                {
                    finalizers.Add((JsonNode?)Finalizer);
                }

                return binding;
            }).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Status.Code == 404)
        {
            // Gone meanwhile.
        }
    }

    private static bool IsDeleting(JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    private static bool HasFinalizer(JsonObject obj)
    {
        foreach (JsonNode? finalizer in obj["metadata"]?["finalizers"] as JsonArray ?? [])
        {
            if (Text(finalizer) == Finalizer)
            {
                return true;
            }
        }

        return false;
    }

    private async Task SetSyncedAsync(string clusterId, bool synced, string reason, string message)
    {
        string now = Time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await Objects.UpdateStatusAsync(ObjectNames.ManagementGroup, "clusters", null, clusterId, cluster =>
            {
                JsonObject status = cluster["status"] as JsonObject ?? [];
                cluster["status"] = status;
                ClusterConditions.Set(status, "Synced", synced, reason, message, now);
                return cluster;
            }).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Status.Code == 404)
        {
        }
    }

    /// <summary>What the cluster's RBAC must hold, read from the role templates and bindings here.</summary>
    private Desired DesiredState(string clusterId)
    {
        var templates = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (JsonObject template in Objects.List(ObjectNames.ManagementGroup, "roletemplates").Items)
        {
            templates[ObjectName(template)] = template;
        }

        var desired = new Desired();
        if (GlobalAdmins() is { Count: > 0 } admins)
        {
            desired.ClusterRoleBindings[GlobalAdminsBinding] = new V1ClusterRoleBinding
            {
                Metadata = Managed(GlobalAdminsBinding),
                RoleRef = new V1RoleRef { ApiGroup = RbacGroup, Kind = "ClusterRole", Name = "cluster-admin" },
                Subjects = admins,
            };
        }

        foreach (JsonObject binding in Objects.List(ObjectNames.ManagementGroup, "clusterroletemplatebindings").Items)
        {
            if (Text(binding["clusterName"]) == clusterId && !IsDeleting(binding) && Role(binding, templates, desired) is { } role && Subject(binding) is { } subject)
            {
                desired.ClusterRoleBindings["appliance-crtb-" + ObjectName(binding)] = new V1ClusterRoleBinding
                {
                    Metadata = Managed("appliance-crtb-" + ObjectName(binding)),
                    RoleRef = new V1RoleRef { ApiGroup = RbacGroup, Kind = "ClusterRole", Name = role },
                    Subjects = [subject],
                };
            }
        }

        var projects = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (JsonObject project in Objects.List(ObjectNames.ManagementGroup, "projects").Items)
        {
            if (Text(project["spec"]?["clusterName"]) == clusterId)
            {
                projects[ObjectName(project)] = project;
            }
        }

        foreach (JsonObject binding in Objects.List(ObjectNames.ManagementGroup, "projectroletemplatebindings").Items)
        {
            if (IsDeleting(binding) || Text(binding["projectName"]) is not { } projectName || !projects.TryGetValue(projectName, out JsonObject? project)
                || Role(binding, templates, desired) is not { } role || Subject(binding) is not { } subject)
            {
                continue;
            }

            foreach (JsonNode? ns in project["spec"]?["namespaces"] as JsonArray ?? [])
            {
                if (Text(ns) is { Length: > 0 } namespaceName)
                {
                    desired.RoleBindings[(namespaceName, "appliance-prtb-" + ObjectName(binding))] = new V1RoleBinding
                    {
                        Metadata = Managed("appliance-prtb-" + ObjectName(binding), namespaceName),
                        RoleRef = new V1RoleRef { ApiGroup = RbacGroup, Kind = "ClusterRole", Name = role },
                        Subjects = [subject],
                    };
                }
            }
        }

        return desired;
    }

    /// <summary>Users and groups bound here to cluster-admin (not service accounts, not system groups) or to the GlobalRole admin.</summary>
    private List<Rbacv1Subject> GlobalAdmins()
    {
        var admins = new List<Rbacv1Subject>();
        var seen = new HashSet<(string, string)>();
        void Add(string? kind, string? name)
        {
            if (kind is "User" or "Group" && !string.IsNullOrEmpty(name) && !name.StartsWith("system:", StringComparison.Ordinal) && seen.Add((kind, name)))
            {
                admins.Add(new Rbacv1Subject { ApiGroup = RbacGroup, Kind = kind, Name = name });
            }
        }

        foreach (JsonObject binding in Objects.List(RbacGroup, "clusterrolebindings").Items)
        {
            if (Text(binding["roleRef"]?["kind"]) == "ClusterRole" && Text(binding["roleRef"]?["name"]) == "cluster-admin")
            {
                foreach (JsonNode? subject in binding["subjects"] as JsonArray ?? [])
                {
                    Add(Text(subject?["kind"]), Text(subject?["name"]));
                }
            }
        }

        foreach (JsonObject binding in Objects.List(ObjectNames.ManagementGroup, "globalrolebindings").Items)
        {
            if (Text(binding["globalRoleName"]) == "admin")
            {
                Add(Text(binding["userName"]) is { Length: > 0 } ? "User" : "Group", Text(binding["userName"]) ?? Text(binding["groupPrincipalName"]));
            }
        }

        // A stable order, so an unchanged set is not rewritten downstream.
        admins.Sort(static (a, b) => string.CompareOrdinal(a.Kind + "/" + a.Name, b.Kind + "/" + b.Name));
        return admins;
    }

    /// <summary>The downstream ClusterRole of the binding's template (added to the desired roles), or null if the template is missing.</summary>
    private static string? Role(JsonObject binding, Dictionary<string, JsonObject> templates, Desired desired)
    {
        if (Text(binding["roleTemplateName"]) is not { } templateName || !templates.TryGetValue(templateName, out JsonObject? template))
        {
            return null;
        }

        string role = "appliance-rt-" + templateName;
        if (!desired.ClusterRoles.ContainsKey(role))
        {
            var rules = new List<V1PolicyRule>();
            foreach (JsonNode? rule in template["rules"] as JsonArray ?? [])
            {
                rules.Add(new V1PolicyRule
                {
                    ApiGroups = Strings(rule?["apiGroups"]),
                    Resources = Strings(rule?["resources"]),
                    ResourceNames = Strings(rule?["resourceNames"]),
                    NonResourceURLs = Strings(rule?["nonResourceURLs"]),
                    Verbs = Strings(rule?["verbs"]) ?? [],
                });
            }

            desired.ClusterRoles[role] = new V1ClusterRole { Metadata = Managed(role), Rules = rules };
        }

        return role;
    }

    /// <summary>The user id or group principal, exactly as the proxy sends them in Impersonate-User / Impersonate-Group.</summary>
    private static Rbacv1Subject? Subject(JsonObject binding)
    {
        if (Text(binding["userName"]) is { Length: > 0 } user)
        {
            return new Rbacv1Subject { ApiGroup = RbacGroup, Kind = "User", Name = user };
        }

        return Text(binding["groupPrincipalName"]) is { Length: > 0 } group ? new Rbacv1Subject { ApiGroup = RbacGroup, Kind = "Group", Name = group } : null;
    }

    private async Task ApplyClusterRolesAsync(Kubernetes client, Dictionary<string, V1ClusterRole> desired, CancellationToken cancellationToken)
    {
        V1ClusterRoleList existing = await client.RbacAuthorizationV1.ListClusterRoleAsync(labelSelector: ManagedSelector, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (V1ClusterRole role in existing.Items)
        {
            if (!desired.Remove(role.Metadata.Name, out V1ClusterRole? wanted))
            {
                await IgnoreNotFound(client.RbacAuthorizationV1.DeleteClusterRoleAsync(role.Metadata.Name, cancellationToken: cancellationToken)).ConfigureAwait(false);
                LogRemoved(Logger, "ClusterRole", role.Metadata.Name);
            }
            else if (!SameRules(role.Rules, wanted.Rules))
            {
                wanted.Metadata.ResourceVersion = role.Metadata.ResourceVersion;
                await client.RbacAuthorizationV1.ReplaceClusterRoleAsync(wanted, role.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
                LogRepaired(Logger, "ClusterRole", role.Metadata.Name);
            }
        }

        foreach (V1ClusterRole role in desired.Values)
        {
            await CreateOrReplaceAsync(
                () => client.RbacAuthorizationV1.CreateClusterRoleAsync(role, cancellationToken: cancellationToken),
                async () =>
                {
                    V1ClusterRole current = await client.RbacAuthorizationV1.ReadClusterRoleAsync(role.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
                    role.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
                    await client.RbacAuthorizationV1.ReplaceClusterRoleAsync(role, role.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
    }

    private async Task ApplyClusterRoleBindingsAsync(Kubernetes client, Dictionary<string, V1ClusterRoleBinding> desired, CancellationToken cancellationToken)
    {
        V1ClusterRoleBindingList existing = await client.RbacAuthorizationV1.ListClusterRoleBindingAsync(labelSelector: ManagedSelector, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (V1ClusterRoleBinding binding in existing.Items)
        {
            // roleRef cannot change in place: a binding that differs is deleted and made again.
            if (!desired.Remove(binding.Metadata.Name, out V1ClusterRoleBinding? wanted) || !SameBinding(binding.RoleRef, binding.Subjects, wanted.RoleRef, wanted.Subjects))
            {
                await IgnoreNotFound(client.RbacAuthorizationV1.DeleteClusterRoleBindingAsync(binding.Metadata.Name, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (wanted is null)
                {
                    LogRemoved(Logger, "ClusterRoleBinding", binding.Metadata.Name);
                }
                else
                {
                    desired[binding.Metadata.Name] = wanted;
                }
            }
        }

        foreach (V1ClusterRoleBinding binding in desired.Values)
        {
            await CreateOrReplaceAsync(
                () => client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(binding, cancellationToken: cancellationToken),
                async () =>
                {
                    // Someone made an unmanaged one of that name: ours wins.
                    await IgnoreNotFound(client.RbacAuthorizationV1.DeleteClusterRoleBindingAsync(binding.Metadata.Name, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    await client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(binding, cancellationToken: cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
    }

    private async Task ApplyRoleBindingsAsync(Kubernetes client, Dictionary<(string Namespace, string Name), V1RoleBinding> desired, CancellationToken cancellationToken)
    {
        V1RoleBindingList existing = await client.RbacAuthorizationV1.ListRoleBindingForAllNamespacesAsync(labelSelector: ManagedSelector, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (V1RoleBinding binding in existing.Items)
        {
            var key = (binding.Metadata.NamespaceProperty, binding.Metadata.Name);
            if (!desired.Remove(key, out V1RoleBinding? wanted) || !SameBinding(binding.RoleRef, binding.Subjects, wanted.RoleRef, wanted.Subjects))
            {
                await IgnoreNotFound(client.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync(binding.Metadata.Name, binding.Metadata.NamespaceProperty, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (wanted is null)
                {
                    LogRemoved(Logger, "RoleBinding", binding.Metadata.NamespaceProperty + "/" + binding.Metadata.Name);
                }
                else
                {
                    desired[key] = wanted;
                }
            }
        }

        foreach (V1RoleBinding binding in desired.Values)
        {
            try
            {
                await CreateOrReplaceAsync(
                    () => client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(binding, binding.Metadata.NamespaceProperty, cancellationToken: cancellationToken),
                    async () =>
                    {
                        await IgnoreNotFound(client.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync(binding.Metadata.Name, binding.Metadata.NamespaceProperty, cancellationToken: cancellationToken)).ConfigureAwait(false);
                        await client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(binding, binding.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // The project names a namespace the cluster does not have (yet): bound when it appears, at a resync.
                LogNamespaceMissing(Logger, binding.Metadata.NamespaceProperty, binding.Metadata.Name);
            }
        }
    }

    private static async Task CreateOrReplaceAsync<T>(Func<Task<T>> create, Func<Task> replace)
    {
        try
        {
            await create().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            await replace().ConfigureAwait(false);
        }
    }

    private static async Task IgnoreNotFound<T>(Task<T> delete)
    {
        try
        {
            await delete.ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private static bool SameRules(IList<V1PolicyRule>? a, IList<V1PolicyRule>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }

        for (int i = 0; i < (a?.Count ?? 0); i++)
        {
            if (!SameList(a![i].ApiGroups, b![i].ApiGroups) || !SameList(a[i].Resources, b[i].Resources) || !SameList(a[i].ResourceNames, b[i].ResourceNames)
                || !SameList(a[i].NonResourceURLs, b[i].NonResourceURLs) || !SameList(a[i].Verbs, b[i].Verbs))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameBinding(V1RoleRef roleRef, IList<Rbacv1Subject>? subjects, V1RoleRef wantedRef, IList<Rbacv1Subject>? wantedSubjects)
    {
        if (roleRef.Kind != wantedRef.Kind || roleRef.Name != wantedRef.Name || (subjects?.Count ?? 0) != (wantedSubjects?.Count ?? 0))
        {
            return false;
        }

        for (int i = 0; i < (subjects?.Count ?? 0); i++)
        {
            if (subjects![i].Kind != wantedSubjects![i].Kind || subjects[i].Name != wantedSubjects[i].Name)
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameList(IList<string>? a, IList<string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }

        for (int i = 0; i < (a?.Count ?? 0); i++)
        {
            if (a![i] != b![i])
            {
                return false;
            }
        }

        return true;
    }

    private static V1ObjectMeta Managed(string name, string? namespaceName = null)
        => new() { Name = name, NamespaceProperty = namespaceName, Labels = new Dictionary<string, string> { [ManagedBy] = "appliance" } };

    private static List<string>? Strings(JsonNode? node)
    {
        if (node is not JsonArray array)
        {
            return null;
        }

        var strings = new List<string>(array.Count);
        foreach (JsonNode? item in array)
        {
            strings.Add(Text(item) ?? "");
        }

        return strings;
    }

    private static string ObjectName(JsonObject obj) => obj["metadata"]!["name"]!.GetValue<string>();

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    private sealed class Desired
    {
        public Dictionary<string, V1ClusterRole> ClusterRoles { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, V1ClusterRoleBinding> ClusterRoleBindings { get; } = new(StringComparer.Ordinal);

        public Dictionary<(string Namespace, string Name), V1RoleBinding> RoleBindings { get; } = [];
    }

    [LoggerMessage(EventId = 1550, Level = LogLevel.Information, Message = "Removed the {Kind} {Name} downstream: no binding here wants it any more")]
    private static partial void LogRemoved(ILogger logger, string kind, string name);

    [LoggerMessage(EventId = 1551, Level = LogLevel.Information, Message = "Put the {Kind} {Name} downstream back as the role templates say")]
    private static partial void LogRepaired(ILogger logger, string kind, string name);

    [LoggerMessage(EventId = 1552, Level = LogLevel.Information, Message = "Namespace {Namespace} does not exist downstream; the role binding {Name} waits for it")]
    private static partial void LogNamespaceMissing(ILogger logger, string @namespace, string name);
}
