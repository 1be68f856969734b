using System.Text.Json.Serialization;

namespace Appliance.Clusters.Agents;

/// <summary>A message on the tunnel's control channel (JSON). Agent to server: <c>credentials</c>.</summary>
public sealed class ControlMessage
{
    public const string CredentialsKind = "credentials";

    public string Kind { get; set; } = "";

    public string? ImpersonatorToken { get; set; }

    public string? AgentToken { get; set; }

    public string? ApiAuthority { get; set; }

    public string? AgentVersion { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControlMessage))]
internal sealed partial class ClustersJsonContext : JsonSerializerContext;
