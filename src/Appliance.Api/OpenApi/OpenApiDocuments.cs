using System.Text.Json;

namespace Appliance.Api.OpenApi;

/// <summary>
/// The OpenAPI v3 documents of the served kinds, built once from the <see cref="ResourceRegistry"/>
/// (they change only with it): one per group version (<c>api/v1</c>, <c>apis/{group}/{version}</c>)
/// and the discovery document listing them with their hashes, in kube-apiserver's shapes.
/// </summary>
internal sealed class OpenApiDocuments
{
    private readonly Dictionary<string, OpenApiDocument> _groupVersions = new(StringComparer.Ordinal);

    public OpenApiDocuments(ResourceRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var byPath = new Dictionary<string, List<ResourceDefinition>>(StringComparer.Ordinal);
        foreach (ResourceDefinition definition in registry.All)
        {
            string path = GroupVersionPath(definition.Group, definition.Version);
            if (!byPath.TryGetValue(path, out List<ResourceDefinition>? definitions))
            {
                byPath[path] = definitions = [];
            }

            definitions.Add(definition);
        }

        foreach ((string path, List<ResourceDefinition> definitions) in byPath)
        {
            _groupVersions[path] = new OpenApiDocument(OpenApiWriter.WriteGroupVersion(definitions));
        }

        Discovery = new OpenApiDocument(WriteDiscovery(_groupVersions));
    }

    /// <summary><c>/openapi/v3</c>: <c>{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."}}}</c>.</summary>
    public OpenApiDocument Discovery { get; }

    /// <summary>The document of <c>api/v1</c> or <c>apis/{group}/{version}</c>; null when nothing is served there.</summary>
    public OpenApiDocument? Find(string path) => _groupVersions.GetValueOrDefault(path);

    public static string GroupVersionPath(string group, string version) => group.Length == 0 ? "api/" + version : "apis/" + group + "/" + version;

    private static byte[] WriteDiscovery(Dictionary<string, OpenApiDocument> documents)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("paths");
            foreach ((string path, OpenApiDocument document) in documents.OrderBy(static d => d.Key, StringComparer.Ordinal))
            {
                writer.WriteStartObject(path);
                writer.WriteString("serverRelativeURL", "/openapi/v3/" + path + "?hash=" + document.Hash);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
