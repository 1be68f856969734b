namespace Appliance.Api;

/// <summary>One field of a <see cref="ProtobufSchema"/>; <see cref="Message"/> is set for nested messages.</summary>
public sealed record ProtobufField(int Number, string JsonName, ProtobufFieldKind Kind, ProtobufSchema? Message = null);
