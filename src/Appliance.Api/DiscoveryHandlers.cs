using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

/// <summary>
/// Discovery documents built from the <see cref="ResourceRegistry"/>: aggregated discovery
/// (<c>apidiscovery.k8s.io/v2</c> APIGroupDiscoveryList on <c>/api</c> and <c>/apis</c>, which kubectl 1.32
/// asks for first, so it learns every resource in two requests) and the legacy per-group-version documents.
/// </summary>
internal sealed class DiscoveryHandlers(ResourceRegistry registry)
{
    private static readonly IReadOnlyList<string> StatusVerbs = ["get", "patch", "update"];
    private static readonly IReadOnlyList<string> CreateVerb = ["create"];

    private const string AggregatedMediaType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    public Task CoreVersionsAsync(HttpContext context)
    {
        if (WantsAggregated(context))
        {
            return WriteAggregatedAsync(context, core: true);
        }

        var versions = new ApiVersions
        {
            Versions = ["v1"],
            ServerAddressByClientCIDRs = [new ServerAddressByClientCidr { ClientCIDR = "0.0.0.0/0", ServerAddress = context.Request.Host.Value ?? "" }],
        };
        return JsonResponses.WriteAsync(context, versions, ApiJsonContext.Default.ApiVersions);
    }

    public Task GroupsAsync(HttpContext context)
    {
        if (WantsAggregated(context))
        {
            return WriteAggregatedAsync(context, core: false);
        }

        var groups = new List<ApiGroup>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (ResourceDefinition definition in registry.All)
        {
            if (definition.Group.Length == 0 || !seen.Add(definition.ApiVersion))
            {
                continue;
            }

            var groupVersion = new GroupVersionForDiscovery { GroupVersion = definition.ApiVersion, Version = definition.Version };
            ApiGroup? existing = groups.Find(g => g.Name == definition.Group);
            if (existing is null)
            {
                groups.Add(new ApiGroup { Name = definition.Group, Versions = [groupVersion], PreferredVersion = groupVersion });
            }
            else
            {
                ((List<GroupVersionForDiscovery>)existing.Versions).Add(groupVersion);
            }
        }

        return JsonResponses.WriteAsync(context, new ApiGroupList { Groups = groups }, ApiJsonContext.Default.ApiGroupList);
    }

    public Task CoreResourcesAsync(HttpContext context) => ResourcesAsync(context, "", "v1");

    public Task GroupResourcesAsync(HttpContext context)
        => ResourcesAsync(context, context.Request.RouteValues["group"] as string ?? "", context.Request.RouteValues["version"] as string ?? "");

    private Task ResourcesAsync(HttpContext context, string group, string version)
    {
        if (!registry.HasGroupVersion(group, version))
        {
            return JsonResponses.WriteStatusAsync(context, ApiErrors.NotFoundPath());
        }

        var resources = new List<ApiResource>();
        foreach (ResourceDefinition definition in registry.All)
        {
            if (definition.Group == group && definition.Version == version)
            {
                resources.Add(new ApiResource
                {
                    Name = definition.Resource,
                    SingularName = definition.Singular,
                    Namespaced = definition.Namespaced,
                    Kind = definition.Kind,
                    Verbs = definition.Verbs,
                    ShortNames = definition.ShortNames.Count == 0 ? null : definition.ShortNames,
                });
                if (definition.HasStatusSubresource)
                {
                    resources.Add(new ApiResource
                    {
                        Name = definition.Resource + "/" + ResourceEngine.StatusSubresource,
                        SingularName = "",
                        Namespaced = definition.Namespaced,
                        Kind = definition.Kind,
                        Verbs = StatusVerbs,
                    });
                }

                if (definition.IssuesTokens)
                {
                    resources.Add(new ApiResource
                    {
                        Name = definition.Resource + "/" + ResourceEngine.TokenSubresource,
                        SingularName = "",
                        Namespaced = definition.Namespaced,
                        Group = "authentication.k8s.io",
                        Version = "v1",
                        Kind = "TokenRequest",
                        Verbs = CreateVerb,
                    });
                }
            }
        }

        string groupVersion = group.Length == 0 ? version : group + "/" + version;
        return JsonResponses.WriteAsync(context, new ApiResourceList { GroupVersion = groupVersion, Resources = resources }, ApiJsonContext.Default.ApiResourceList);
    }

    /// <summary>True when the client accepts apidiscovery.k8s.io/v2 (client-go lists it first, plain JSON last).</summary>
    private static bool WantsAggregated(HttpContext context)
    {
        context.Response.Headers.Vary = "Accept";
        foreach (string? accept in context.Request.Headers.Accept)
        {
            foreach (string range in (accept ?? "").Split(','))
            {
                string[] parameters = range.Split(';', StringSplitOptions.TrimEntries);
                if (parameters.Contains("g=apidiscovery.k8s.io") && parameters.Contains("v=v2") && parameters.Contains("as=APIGroupDiscoveryList"))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The core group (<c>/api</c>) or every named group (<c>/apis</c>) with all their resources.</summary>
    private async Task WriteAggregatedAsync(HttpContext context, bool core)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = AggregatedMediaType;
        await using (var writer = new System.Text.Json.Utf8JsonWriter(context.Response.BodyWriter))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", "APIGroupDiscoveryList");
            writer.WriteString("apiVersion", "apidiscovery.k8s.io/v2");
            writer.WriteStartObject("metadata");
            writer.WriteEndObject();
            writer.WriteStartArray("items");
            var groups = new List<string>();
            foreach (ResourceDefinition definition in registry.All)
            {
                if ((definition.Group.Length == 0) == core && !groups.Contains(definition.Group))
                {
                    groups.Add(definition.Group);
                }
            }

            foreach (string group in groups)
            {
                WriteGroup(writer, group);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private void WriteGroup(System.Text.Json.Utf8JsonWriter writer, string group)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("metadata");
        writer.WriteString("name", group);
        writer.WriteNull("creationTimestamp");
        writer.WriteEndObject();
        writer.WriteStartArray("versions");
        var versions = new List<string>();
        foreach (ResourceDefinition definition in registry.All)
        {
            if (definition.Group == group && !versions.Contains(definition.Version))
            {
                versions.Add(definition.Version);
            }
        }

        foreach (string version in versions)
        {
            writer.WriteStartObject();
            writer.WriteString("version", version);
            writer.WriteStartArray("resources");
            foreach (ResourceDefinition definition in registry.All)
            {
                if (definition.Group == group && definition.Version == version)
                {
                    WriteResource(writer, definition);
                }
            }

            writer.WriteEndArray();
            writer.WriteString("freshness", "Current");
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteResource(System.Text.Json.Utf8JsonWriter writer, ResourceDefinition definition)
    {
        writer.WriteStartObject();
        writer.WriteString("resource", definition.Resource);
        WriteKind(writer, definition.Group, definition.Version, definition.Kind);
        writer.WriteString("scope", definition.Namespaced ? "Namespaced" : "Cluster");
        writer.WriteString("singularResource", definition.Singular);
        WriteStrings(writer, "verbs", definition.Verbs);
        if (definition.ShortNames.Count > 0)
        {
            WriteStrings(writer, "shortNames", definition.ShortNames);
        }

        if (definition.HasStatusSubresource || definition.IssuesTokens)
        {
            writer.WriteStartArray("subresources");
            if (definition.HasStatusSubresource)
            {
                WriteSubresource(writer, ResourceEngine.StatusSubresource, definition.Group, definition.Version, definition.Kind, StatusVerbs);
            }

            if (definition.IssuesTokens)
            {
                WriteSubresource(writer, ResourceEngine.TokenSubresource, "authentication.k8s.io", "v1", "TokenRequest", CreateVerb);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteSubresource(System.Text.Json.Utf8JsonWriter writer, string name, string group, string version, string kind, IReadOnlyList<string> verbs)
    {
        writer.WriteStartObject();
        writer.WriteString("subresource", name);
        WriteKind(writer, group, version, kind);
        WriteStrings(writer, "verbs", verbs);
        writer.WriteEndObject();
    }

    private static void WriteKind(System.Text.Json.Utf8JsonWriter writer, string group, string version, string kind)
    {
        writer.WriteStartObject("responseKind");
        writer.WriteString("group", group);
        writer.WriteString("version", version);
        writer.WriteString("kind", kind);
        writer.WriteEndObject();
    }

    private static void WriteStrings(System.Text.Json.Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
