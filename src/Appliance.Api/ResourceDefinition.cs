using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// Everything the generic engine needs to serve one kind: where it lives in the URL space and the
/// store, how discovery describes it, and the kind-specific rules applied to every write. Adding a kind
/// is adding one of these to <see cref="ResourceRegistry"/>; there is no per-kind handler code.
/// </summary>
public sealed class ResourceDefinition
{
    /// <summary>The verbs served by the engine today (discovery must not promise more).</summary>
    public static readonly IReadOnlyList<string> DefaultVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>The API group; empty for the core (legacy) group served under <c>/api</c>.</summary>
    public required string Group { get; init; }

    public required string Version { get; init; }

    /// <summary>The lower-case plural used in URLs and store keys, e.g. <c>configmaps</c>.</summary>
    public required string Resource { get; init; }

    public required string Kind { get; init; }

    public required string Singular { get; init; }

    public required bool Namespaced { get; init; }

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Verbs { get; init; } = DefaultVerbs;

    /// <summary>
    /// How names are validated: most kinds are DNS-1123 subdomains (apimachinery <c>ValidateObjectMeta</c>
    /// with <c>NameIsDNSSubdomain</c>), namespaces DNS-1123 labels, RBAC kinds any path segment.
    /// </summary>
    public NameRule NameRule { get; init; }

    /// <summary>
    /// Kind-specific normalization and validation of an object about to be stored (create and update).
    /// Adds a cause for each invalid field; the engine answers 422 if any.
    /// </summary>
    public Action<JsonObject, List<ApiStatusCause>>? Prepare { get; init; }

    /// <summary>
    /// The kind's protobuf message layout, for built-in kinds that kubectl's typed clients send as
    /// protobuf; null for kinds only ever sent as JSON (ours, like CRDs).
    /// </summary>
    public ProtobufSchema? Protobuf { get; init; }

    /// <summary>Dotted paths a field selector may use besides metadata.name and metadata.namespace.</summary>
    public IReadOnlyList<string> SelectableFields { get; init; } = [];

    /// <summary>The columns <c>kubectl get</c> prints between NAME and AGE.</summary>
    public IReadOnlyList<TableColumn> Columns { get; init; } = [];

    /// <summary>
    /// True for kinds with a <c>status</c> subresource: a write to the object keeps the stored status, a write
    /// to <c>{name}/status</c> changes only the status (kube-apiserver's status strategy), so controllers
    /// and users never overwrite each other's half.
    /// </summary>
    public bool HasStatusSubresource { get; init; }

    /// <summary>
    /// True for Secrets: stored AES-GCM-encrypted under the data dir's key (DESIGN.md, "API objects"), so a
    /// copied database file or backup leaks no credential.
    /// </summary>
    public bool EncryptedAtRest { get; init; }

    /// <summary>True for ServiceAccount: <c>{name}/token</c> takes a TokenRequest and returns a signed token.</summary>
    public bool IssuesTokens { get; init; }

    /// <summary>
    /// False for kinds that are requests rather than objects (SelfSubjectAccessReview, SelfSubjectReview):
    /// discovery lists them with the <c>create</c> verb, their own handlers answer, nothing is stored.
    /// </summary>
    public bool Stored { get; init; } = true;

    /// <summary><c>v1</c> for core, <c>group/version</c> otherwise: the objects' <c>apiVersion</c>.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>
    /// The store prefix of this resource, ending in '/'. The core group is spelled <c>core</c> so every
    /// key has the same <c>/registry/{group}/{resource}/</c> shape (DESIGN.md, "Store"); kube-apiserver and
    /// kine drop the group for core kinds, which we do not need to be compatible with.
    /// </summary>
    public string KeyPrefix => field ??= "/registry/" + (Group.Length == 0 ? "core" : Group) + "/" + Resource + "/";

    /// <summary>The store key of one object; <paramref name="namespaceName"/> is ignored for cluster-scoped kinds.</summary>
    public string Key(string? namespaceName, string name)
        => Namespaced ? KeyPrefix + namespaceName + "/" + name : KeyPrefix + name;

    /// <summary>The prefix to list or watch: one namespace, or every object when <paramref name="namespaceName"/> is null.</summary>
    public string ListPrefix(string? namespaceName)
        => Namespaced && namespaceName is not null ? KeyPrefix + namespaceName + "/" : KeyPrefix;
}
