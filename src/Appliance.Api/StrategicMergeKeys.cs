using System.Collections.Frozen;

namespace Appliance.Api;

/// <summary>
/// How a strategic merge patch merges one list field: objects matched by <see cref="MergeKey"/>, or,
/// without a key, primitives merged as a set. Lists without a rule are replaced whole (atomic).
/// </summary>
internal readonly record struct MergeList(string? MergeKey);

/// <summary>
/// The patch strategy of the built-in kinds (the <c>patchStrategy:"merge"</c> and <c>patchMergeKey</c>
/// struct tags of k8s.io/api that apimachinery's <c>strategicpatch</c> reads), as data: for each
/// (API group, kind), the dotted path of every list merged rather than replaced. A path names fields
/// only; list elements add no segment (<c>spec.containers.env</c> is each container's <c>env</c>).
/// Maps are always merged key by key; no field of these kinds has the <c>replace</c> strategy.
/// </summary>
internal static class StrategicMergeKeys
{
    // ObjectMeta's tags, shared by every kind.
    private static readonly (string Path, string? Key)[] Metadata = [("metadata.finalizers", null), ("metadata.ownerReferences", "uid")];

    private static readonly FrozenDictionary<(string Group, string Kind), FrozenDictionary<string, MergeList>> ByKind =
        new Dictionary<(string Group, string Kind), FrozenDictionary<string, MergeList>>
        {
            [("", "Namespace")] = Lists(("status.conditions", "type")),
            [("", "ConfigMap")] = Lists(),
            [("", "Secret")] = Lists(),
            [("", "Event")] = Lists(),
            [("", "ServiceAccount")] = Lists(("secrets", "name")),
            [("", "Node")] = Lists(("spec.podCIDRs", null), ("status.conditions", "type"), ("status.addresses", "type")),
            [("", "Pod")] = Lists([.. PodLists()]),

            // Role rules and binding subjects have no patch strategy: a patch replaces the whole list.
            [(ResourceRegistry.RbacGroup, "Role")] = Lists(),
            [(ResourceRegistry.RbacGroup, "ClusterRole")] = Lists(),
            [(ResourceRegistry.RbacGroup, "RoleBinding")] = Lists(),
            [(ResourceRegistry.RbacGroup, "ClusterRoleBinding")] = Lists(),
        }.ToFrozenDictionary();

    /// <summary>
    /// The merged lists of a kind, or null when the kind has no strategic merge patch: kube-apiserver
    /// refuses one for custom resources, and our management kinds are served like them.
    /// </summary>
    public static FrozenDictionary<string, MergeList>? For(string group, string kind)
        => ByKind.GetValueOrDefault((group, kind));

    private static IEnumerable<(string Path, string? Key)> PodLists()
    {
        // Tolerations, readiness gates, envFrom, command and args have no patch strategy: atomic.
        yield return ("spec.volumes", "name");
        yield return ("spec.imagePullSecrets", "name");
        yield return ("spec.hostAliases", "ip");
        yield return ("spec.topologySpreadConstraints", "topologyKey");
        yield return ("spec.schedulingGates", "name");
        yield return ("spec.resourceClaims", "name");
        foreach (string containers in (string[])["spec.containers", "spec.initContainers", "spec.ephemeralContainers"])
        {
            yield return (containers, "name");
            yield return (containers + ".ports", "containerPort");
            yield return (containers + ".env", "name");
            yield return (containers + ".volumeMounts", "mountPath");
            yield return (containers + ".volumeDevices", "devicePath");
        }

        yield return ("status.conditions", "type");
        yield return ("status.podIPs", "ip");
        yield return ("status.hostIPs", "ip");
        yield return ("status.resourceClaimStatuses", "name");
    }

    private static FrozenDictionary<string, MergeList> Lists(params (string Path, string? Key)[] lists)
    {
        var all = new Dictionary<string, MergeList>();
        foreach ((string path, string? key) in Metadata.Concat(lists))
        {
            all.Add(path, new MergeList(key));
        }

        return all.ToFrozenDictionary();
    }
}
