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

    public ProtobufField? Find(int number) => _fields.GetValueOrDefault(number);
}
