using System.Text.Json.Serialization;

namespace Appliance.Api;

/// <summary>
/// Source-generated serialization for the fixed shapes (NativeAOT: no reflection). Resource objects
/// themselves are never typed: the engine works on <see cref="System.Text.Json.Nodes.JsonObject"/>.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiStatus))]
[JsonSerializable(typeof(ApiResourceList))]
[JsonSerializable(typeof(ApiGroupList))]
[JsonSerializable(typeof(ApiVersions))]
[JsonSerializable(typeof(KubernetesVersionInfo))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
