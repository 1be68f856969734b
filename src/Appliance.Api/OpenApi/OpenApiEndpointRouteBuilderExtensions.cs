using Appliance.Api.OpenApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api;

public static class OpenApiEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>/openapi/v3</c> (discovery) and <c>/openapi/v3/api/v1</c>, <c>/openapi/v3/apis/{group}/{version}</c>:
    /// the kinds of the registry with their schemas, which kubectl needs for create/replace/apply without
    /// <c>--validate=false</c> and for explain. <c>/openapi/v2</c> is not served: kubectl 1.32 uses v3 and
    /// treats a missing v2 as "no schema".
    /// </summary>
    /// <param name="endpoints">Where to map the routes.</param>
    /// <param name="wrap">Applied to every handler, e.g. the API's authentication and authorization.</param>
    public static IEndpointRouteBuilder MapOpenApiDocuments(this IEndpointRouteBuilder endpoints, Func<RequestDelegate, RequestDelegate>? wrap = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var handlers = new OpenApiHandlers(endpoints.ServiceProvider.GetRequiredService<ResourceRegistry>());
        wrap ??= static handler => handler;
        endpoints.MapGet("/openapi/v3", wrap(handlers.DiscoveryAsync));
        endpoints.MapGet("/openapi/v3/api/{version}", wrap(handlers.CoreAsync));
        endpoints.MapGet("/openapi/v3/apis/{group}/{version}", wrap(handlers.GroupAsync));
        return endpoints;
    }
}
