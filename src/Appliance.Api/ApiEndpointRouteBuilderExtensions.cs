using Appliance.Api.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api;

public static class ApiEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the Kubernetes-compatible API: discovery (<c>/api</c>, <c>/api/v1</c>, <c>/apis</c>,
    /// <c>/apis/{group}/{version}</c>), every resource route of the registered kinds, and the self reviews.
    /// Every route is behind <see cref="ApiSecurity"/>: bearer-token authentication, impersonation, RBAC.
    /// <c>/version</c> is not mapped: the host serves it and can use <see cref="KubernetesVersion"/>.
    /// </summary>
    public static IEndpointConventionBuilder MapApplianceApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        RouteGroupBuilder group = endpoints.MapGroup("");
        DiscoveryHandlers discovery = endpoints.ServiceProvider.GetRequiredService<DiscoveryHandlers>();
        group.MapGet("/api", Secured(discovery.CoreVersionsAsync));
        group.MapGet("/api/v1", Secured(discovery.CoreResourcesAsync));
        group.MapGet("/apis", Secured(discovery.GroupsAsync));
        group.MapGet("/apis/{group}/{version}", Secured(discovery.GroupResourcesAsync));
        group.MapOpenApiDocuments(Secured);

        // The engine opens with the store, after routes are built: resolve it per request.
        group.MapPost("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", Secured(static context =>
            context.RequestServices.GetRequiredService<ResourceEngine>().SelfSubjectAccessReviewAsync(context, context.RequestServices.GetRequiredService<RbacCache>())));
        group.MapPost("/apis/authentication.k8s.io/v1/selfsubjectreviews", Secured(ResourceEngine.SelfSubjectReviewAsync));
        // Public: the login itself is the authentication.
        group.MapPost("/v3-public/localProviders/local", static context => context.RequestServices.GetRequiredService<LocalLogin>().HandleAsync(context));
        group.MapPost("/v3-public/openLdapProviders/openldap", static context => context.RequestServices.GetRequiredService<DirectoryLogin>().HandleAsync(context, DirectoryAuthConfig.OpenLdap));
        group.MapPost("/v3-public/activeDirectoryProviders/activedirectory", static context => context.RequestServices.GetRequiredService<DirectoryLogin>().HandleAsync(context, DirectoryAuthConfig.ActiveDirectory));
        // GET ?action=authorize and ?action=callback (the browser's trip to GitHub and back), POST ?action=login.
        group.MapMethods(GitHubSignIn.Path, [HttpMethods.Get, HttpMethods.Post], static context => context.RequestServices.GetRequiredService<GitHubSignIn>().HandleAsync(context));
        // Authenticated and authorized (update on authconfigs/{name}) by the handler, which audits it.
        group.MapPost("/v3/authConfigs/{name}", static context => (string)context.Request.RouteValues["name"]! is GitHubAuthConfig.Name
            ? context.RequestServices.GetRequiredService<GitHubTestAndApply>().HandleAsync(context)
            : context.RequestServices.GetRequiredService<AuthConfigTestAndApply>().HandleAsync(context, (string)context.Request.RouteValues["name"]!));
        // The caller's own token, authenticated by itself: no RBAC rule is needed to give it up.
        group.MapMethods("/v3/tokens", [HttpMethods.Get, HttpMethods.Post], static context => context.RequestServices.GetRequiredService<UserTokens>().HandleCollectionAsync(context));
        group.MapMethods("/v3/tokens/{name}", [HttpMethods.Get, HttpMethods.Delete], static context => context.RequestServices.GetRequiredService<UserTokens>().HandleItemAsync(context));
        group.MapPost("/v3/clusters", static context => context.RequestServices.GetRequiredService<KubeconfigGeneration>().HandleAsync(context));
        group.MapPost("/v3/clusters/{id}", static context => context.RequestServices.GetRequiredService<KubeconfigGeneration>().HandleAsync(context));
        group.MapPost("/v3/users", static context => context.RequestServices.GetRequiredService<PasswordChange>().HandleAsync(context));
        // An administrator's action on one user, authorized (update on users/{id}) and audited by the handler.
        group.MapPost("/v3/users/{id}", static context => context.RequestServices.GetRequiredService<PasswordSet>().HandleAsync(context, (string)context.Request.RouteValues["id"]!));
        RequestDelegate resources = Secured(static context => context.RequestServices.GetRequiredService<ResourceEngine>().HandleAsync(context));
        group.Map("/api/v1/{resource}", resources);
        group.Map("/api/v1/{resource}/{name}", resources);
        group.Map("/api/v1/namespaces/{namespace}/{resource}", resources);
        group.Map("/api/v1/namespaces/{namespace}/{resource}/{name}", resources);
        group.Map("/api/v1/{resource}/{name}/{subresource}", resources);
        group.Map("/api/v1/namespaces/{namespace}/{resource}/{name}/{subresource}", resources);
        group.Map("/apis/{group}/{version}/{resource}", resources);
        group.Map("/apis/{group}/{version}/{resource}/{name}", resources);
        group.Map("/apis/{group}/{version}/namespaces/{namespace}/{resource}", resources);
        group.Map("/apis/{group}/{version}/namespaces/{namespace}/{resource}/{name}", resources);
        group.Map("/apis/{group}/{version}/{resource}/{name}/{subresource}", resources);
        group.Map("/apis/{group}/{version}/namespaces/{namespace}/{resource}/{name}/{subresource}", resources);
        return group;
    }

    private static RequestDelegate Secured(RequestDelegate handler)
        => context => context.RequestServices.GetRequiredService<ApiSecurity>().InvokeAsync(context, handler);
}
