using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api;

public static class ApiEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the Kubernetes-compatible API: discovery (<c>/api</c>, <c>/api/v1</c>, <c>/apis</c>,
    /// <c>/apis/{group}/{version}</c>) and every resource route of the registered kinds.
    /// <para>
    /// WARNING: NO AUTHENTICATION OR AUTHORIZATION. Every caller can read and write every object,
    /// secrets included. The executable must not map this without putting authentication and RBAC in
    /// front of it (e.g. <c>.RequireAuthorization(...)</c> on the returned builder); only tests map it bare.
    /// </para>
    /// <c>/version</c> is not mapped: the host serves it and can use <see cref="KubernetesVersion"/>.
    /// </summary>
    public static IEndpointConventionBuilder MapApplianceApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        RouteGroupBuilder group = endpoints.MapGroup("");
        DiscoveryHandlers discovery = endpoints.ServiceProvider.GetRequiredService<DiscoveryHandlers>();
        group.MapGet("/api", (RequestDelegate)discovery.CoreVersionsAsync);
        group.MapGet("/api/v1", (RequestDelegate)discovery.CoreResourcesAsync);
        group.MapGet("/apis", (RequestDelegate)discovery.GroupsAsync);
        group.MapGet("/apis/{group}/{version}", (RequestDelegate)discovery.GroupResourcesAsync);
        group.MapOpenApiDocuments();

        // The engine opens with the store, after routes are built: resolve it per request.
        RequestDelegate resources = static context => context.RequestServices.GetRequiredService<ResourceEngine>().HandleAsync(context);
        group.Map("/api/v1/{resource}", resources);
        group.Map("/api/v1/{resource}/{name}", resources);
        group.Map("/api/v1/namespaces/{namespace}/{resource}", resources);
        group.Map("/api/v1/namespaces/{namespace}/{resource}/{name}", resources);
        group.Map("/apis/{group}/{version}/{resource}", resources);
        group.Map("/apis/{group}/{version}/{resource}/{name}", resources);
        group.Map("/apis/{group}/{version}/namespaces/{namespace}/{resource}", resources);
        group.Map("/apis/{group}/{version}/namespaces/{namespace}/{resource}/{name}", resources);
        return group;
    }
}
