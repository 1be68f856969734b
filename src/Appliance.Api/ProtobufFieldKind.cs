namespace Appliance.Api;

/// <summary>How a protobuf field of a Kubernetes type maps to JSON (k8s.io/api <c>generated.proto</c>).</summary>
public enum ProtobufFieldKind
{
    String,

    /// <summary>A <c>bytes</c> field: base64 in JSON, as Go's encoding/json writes []byte.</summary>
    Bytes,
    Bool,
    Int64,

    /// <summary>meta/v1 Time: a message of seconds (1) and nanos (2), RFC 3339 in JSON.</summary>
    Time,
    StringMap,
    BytesMap,
    RepeatedString,
    Message,

    /// <summary>A repeated nested message: a JSON array of objects.</summary>
    RepeatedMessage,
}
