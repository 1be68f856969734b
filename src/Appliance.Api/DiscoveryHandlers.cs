using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

/// <summary>
/// Legacy (unaggregated) discovery documents built from the <see cref="ResourceRegistry"/>. kubectl
/// 1.32 first asks for aggregated discovery (<c>as=APIGroupDiscoveryList</c> in Accept); a plain
/// <c>application/json</c> answer makes client-go fall back to these documents.
/// </summary>
internal sealed class DiscoveryHandlers(ResourceRegistry registry)
{
    private static readonly IReadOnlyList<string> StatusVerbs = ["get", "patch", "update"];
    private static readonly IReadOnlyList<string> CreateVerb = ["create"];

    public Task CoreVersionsAsync(HttpContext context)
    {
        var versions = new ApiVersions
        {
            Versions = ["v1"],
            ServerAddressByClientCIDRs = [new ServerAddressByClientCidr { ClientCIDR = "0.0.0.0/0", ServerAddress = context.Request.Host.Value ?? "" }],
        };
        return JsonResponses.WriteAsync(context, versions, ApiJsonContext.Default.ApiVersions);
    }

    public Task GroupsAsync(HttpContext context)
    {
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
}
