using System.Text.Json.Serialization;

namespace Appliance;

/// <summary>Every type the executable itself writes as JSON; source-generated, so NativeAOT needs no reflection.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(BuildInfo))]
internal sealed partial class ApplianceJsonContext : JsonSerializerContext;
