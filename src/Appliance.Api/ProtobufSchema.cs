namespace Appliance.Api;

/// <summary>
/// The field numbers of a Kubernetes protobuf message, as data. kubectl's typed clients (<c>kubectl create
/// namespace</c>, <c>create configmap</c>, <c>create secret</c>) send built-in kinds as protobuf only, so
/// those kinds carry a schema; fields not listed are skipped (ownerReferences and managedFields for now).
/// </summary>
public sealed class ProtobufSchema
{
    private readonly Dictionary<int, ProtobufField> _fields = [];

    public ProtobufSchema(params ProtobufField[] fields)
    {
        foreach (ProtobufField field in fields)
        {
            _fields.Add(field.Number, field);
        }
    }

    /// <summary>meta/v1 ObjectMeta (k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto).</summary>
    public static ProtobufSchema ObjectMeta { get; } = new(
        new(1, "name", ProtobufFieldKind.String),
        new(2, "generateName", ProtobufFieldKind.String),
        new(3, "namespace", ProtobufFieldKind.String),
        new(5, "uid", ProtobufFieldKind.String),
        new(6, "resourceVersion", ProtobufFieldKind.String),
        new(7, "generation", ProtobufFieldKind.Int64),
        new(8, "creationTimestamp", ProtobufFieldKind.Time),
        new(11, "labels", ProtobufFieldKind.StringMap),
        new(12, "annotations", ProtobufFieldKind.StringMap),
        new(14, "finalizers", ProtobufFieldKind.RepeatedString));

    /// <summary>core/v1 ConfigMap.</summary>
    public static ProtobufSchema ConfigMap { get; } = new(
        new(1, "metadata", ProtobufFieldKind.Message, ObjectMeta),
        new(2, "data", ProtobufFieldKind.StringMap),
        new(3, "binaryData", ProtobufFieldKind.BytesMap),
        new(4, "immutable", ProtobufFieldKind.Bool));

    /// <summary>core/v1 Secret.</summary>
    public static ProtobufSchema Secret { get; } = new(
        new(1, "metadata", ProtobufFieldKind.Message, ObjectMeta),
        new(2, "data", ProtobufFieldKind.BytesMap),
        new(3, "type", ProtobufFieldKind.String),
        new(4, "stringData", ProtobufFieldKind.StringMap),
        new(5, "immutable", ProtobufFieldKind.Bool));

    /// <summary>core/v1 Namespace with its spec (finalizers) and status (phase).</summary>
    public static ProtobufSchema Namespace { get; } = new(
        new(1, "metadata", ProtobufFieldKind.Message, ObjectMeta),
        new(2, "spec", ProtobufFieldKind.Message, new ProtobufSchema(new ProtobufField(1, "finalizers", ProtobufFieldKind.RepeatedString))),
        new(3, "status", ProtobufFieldKind.Message, new ProtobufSchema(new ProtobufField(1, "phase", ProtobufFieldKind.String))));

    /// <summary>core/v1 ObjectReference, as ServiceAccount <c>secrets</c> holds them.</summary>
    private static ProtobufSchema ObjectReference { get; } = new(
        new(1, "kind", ProtobufFieldKind.String),
        new(2, "namespace", ProtobufFieldKind.String),
        new(3, "name", ProtobufFieldKind.String),
        new(4, "uid", ProtobufFieldKind.String),
        new(5, "apiVersion", ProtobufFieldKind.String),
        new(6, "resourceVersion", ProtobufFieldKind.String),
        new(7, "fieldPath", ProtobufFieldKind.String));

    /// <summary>core/v1 ServiceAccount (<c>kubectl create serviceaccount</c>).</summary>
    public static ProtobufSchema ServiceAccount { get; } = new(
        new(1, "metadata", ProtobufFieldKind.Message, ObjectMeta),
        new(2, "secrets", ProtobufFieldKind.RepeatedMessage, ObjectReference),
        new(3, "imagePullSecrets", ProtobufFieldKind.RepeatedMessage, new ProtobufSchema(new ProtobufField(1, "name", ProtobufFieldKind.String))),
        new(4, "automountServiceAccountToken", ProtobufFieldKind.Bool));

    /// <summary>rbac/v1 PolicyRule.</summary>
    private static ProtobufSchema PolicyRule { get; } = new(
        new(1, "verbs", ProtobufFieldKind.RepeatedString),
        new(2, "apiGroups", ProtobufFieldKind.RepeatedString),
        new(3, "resources", ProtobufFieldKind.RepeatedString),
        new(4, "resourceNames", ProtobufFieldKind.RepeatedString),
        new(5, "nonResourceURLs", ProtobufFieldKind.RepeatedString));

    /// <summary>rbac/v1 Role and ClusterRole (<c>kubectl create role|clusterrole</c>; aggregationRule is not served).</summary>
    public static ProtobufSchema Role { get; } = new(
        new(1, "metadata", ProtobufFieldKind.Message, ObjectMeta),
        new(2, "rules", ProtobufFieldKind.RepeatedMessage, PolicyRule));

    /// <summary>rbac/v1 RoleBinding and ClusterRoleBinding (<c>kubectl create rolebinding|clusterrolebinding</c>).</summary>
    public static ProtobufSchema RoleBinding { get; } = new(
        new(1, "metadata", ProtobufFieldKind.Message, ObjectMeta),
        new(2, "subjects", ProtobufFieldKind.RepeatedMessage, new ProtobufSchema(
            new ProtobufField(1, "kind", ProtobufFieldKind.String),
            new ProtobufField(2, "apiGroup", ProtobufFieldKind.String),
            new ProtobufField(3, "name", ProtobufFieldKind.String),
            new ProtobufField(4, "namespace", ProtobufFieldKind.String))),
        new(3, "roleRef", ProtobufFieldKind.Message, new ProtobufSchema(
            new ProtobufField(1, "apiGroup", ProtobufFieldKind.String),
            new ProtobufField(2, "kind", ProtobufFieldKind.String),
            new ProtobufField(3, "name", ProtobufFieldKind.String))));

    /// <summary>authorization/v1 SelfSubjectAccessReview (<c>kubectl auth can-i</c>); only the spec is read.</summary>
    public static ProtobufSchema SelfSubjectAccessReview { get; } = new(
        new(1, "metadata", ProtobufFieldKind.Message, ObjectMeta),
        new(2, "spec", ProtobufFieldKind.Message, new ProtobufSchema(
            new ProtobufField(1, "resourceAttributes", ProtobufFieldKind.Message, new ProtobufSchema(
                new ProtobufField(1, "namespace", ProtobufFieldKind.String),
                new ProtobufField(2, "verb", ProtobufFieldKind.String),
                new ProtobufField(3, "group", ProtobufFieldKind.String),
                new ProtobufField(4, "version", ProtobufFieldKind.String),
                new ProtobufField(5, "resource", ProtobufFieldKind.String),
                new ProtobufField(6, "subresource", ProtobufFieldKind.String),
                new ProtobufField(7, "name", ProtobufFieldKind.String))),
            new ProtobufField(2, "nonResourceAttributes", ProtobufFieldKind.Message, new ProtobufSchema(
                new ProtobufField(1, "path", ProtobufFieldKind.String),
                new ProtobufField(2, "verb", ProtobufFieldKind.String))))));

    /// <summary>authentication/v1 TokenRequest (<c>kubectl create token</c>): only the spec is read.</summary>
    public static ProtobufSchema TokenRequest { get; } = new(
        new(1, "metadata", ProtobufFieldKind.Message, ObjectMeta),
        new(2, "spec", ProtobufFieldKind.Message, new ProtobufSchema(
            new ProtobufField(1, "audiences", ProtobufFieldKind.RepeatedString),
            new ProtobufField(4, "expirationSeconds", ProtobufFieldKind.Int64))));

    /// <summary>authentication/v1 SelfSubjectReview (<c>kubectl auth whoami</c>): an empty request.</summary>
    public static ProtobufSchema SelfSubjectReview { get; } = new(new ProtobufField(1, "metadata", ProtobufFieldKind.Message, ObjectMeta));

    public ProtobufField? Find(int number) => _fields.GetValueOrDefault(number);
}
