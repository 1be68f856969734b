using System.Text.Json.Nodes;
using Appliance.Api;
using Appliance.Api.Security;
using Appliance.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Clusters.Registration;

/// <summary>
/// Rancher's <c>POST /v3/clusters/{id}?action=generateKubeconfig</c>, answered as
/// <c>{"type":"generateKubeconfigOutput","config":"..."}</c>: a kubeconfig whose server is this server's proxy
/// for the cluster, with its CA and a fresh kubeconfig token of the caller (30 days). Without an id
/// (<c>POST /v3/clusters?action=generateKubeconfig</c>), one context per cluster the caller may reach.
/// </summary>
internal static class KubeconfigEndpoint
{
    public static async Task HandleAsync(HttpContext context)
    {
        IServiceProvider services = context.RequestServices;
        if (context.Request.Query["action"] != "generateKubeconfig")
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", "the action here is generateKubeconfig").ConfigureAwait(false);
            return;
        }

        string authorization = context.Request.Headers.Authorization.ToString();
        AuthenticatedUser? user = null;
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            services.GetRequiredService<TokenAuthenticator>().Authenticate(authorization["Bearer ".Length..].Trim(), out user);
        }

        if (user is null)
        {
            await V3Responses.WriteErrorAsync(context, 401, "Unauthorized", "authentication failed").ConfigureAwait(false);
            return;
        }

        ServerObjects objects = services.GetRequiredService<ServerObjects>();
        ClusterAccess access = services.GetRequiredService<ClusterAccess>();
        string? named = context.Request.RouteValues["id"] as string;
        var clusters = new List<string>();
        if (named is not null)
        {
            // One answer for a cluster that does not exist and one the caller may not use: ids are not probed.
            if (objects.Get(ObjectNames.ManagementGroup, "clusters", null, named) is null || !access.MayUseCluster(user, named))
            {
                await V3Responses.WriteErrorAsync(context, 404, "NotFound", $"cluster {named} not found").ConfigureAwait(false);
                return;
            }

            clusters.Add(named);
        }
        else
        {
            foreach (JsonObject cluster in objects.List(ObjectNames.ManagementGroup, "clusters").Items)
            {
                string id = cluster["metadata"]!["name"]!.GetValue<string>();
                if (access.MayUseCluster(user, id))
                {
                    clusters.Add(id);
                }
            }
        }

        ApiToken token = await services.GetRequiredService<TokenIssuer>().IssueAsync(user.UserId, "kubeconfig",
            named is null ? "kubeconfig for every cluster" : $"kubeconfig for cluster {named}", TokenLifetimes.Kubeconfig).ConfigureAwait(false);
        string serverUrl = (objects.Get(ObjectNames.ManagementGroup, "settings", null, "server-url")?["value"]?.GetValue<string>() is { Length: > 0 } configured
            ? configured
            : $"https://{context.Request.Host.Value}").TrimEnd('/');
        string config = KubeconfigWriter.Build(serverUrl, services.GetRequiredService<ClustersOptions>().CaCertificatePem, user.UserId, token.ToString(), clusters);
        await JsonResponses.WriteObjectAsync(context, 200, new JsonObject { ["type"] = "generateKubeconfigOutput", ["config"] = config }).ConfigureAwait(false);
    }
}
