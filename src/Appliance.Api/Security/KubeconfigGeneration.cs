using System.Diagnostics;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Appliance.Api.Security;

/// <summary>
/// Rancher's <c>POST /v3/clusters/{id}?action=generateKubeconfig</c>, answered as
/// <c>{"type":"generateKubeconfigOutput","config":"..."}</c>: a kubeconfig whose server is this server's proxy
/// for the cluster, with its CA and a fresh kubeconfig token of the caller (<see cref="TokenPolicy"/>: 30 days by
/// default). Without an id (<c>POST /v3/clusters?action=generateKubeconfig</c>), one context per cluster the caller
/// may reach. The caller is a user's token, as a bearer token or the browser session (<see cref="SessionCookies"/>,
/// with its CSRF header as every state-changing request); the new token inherits the caller's provider. Audited as
/// the creation of a token.
/// </summary>
public sealed class KubeconfigGeneration(
    ApiSecurity security,
    ClusterAccess access,
    TokenIssuer issuer,
    ResourceEngine engine,
    KeyValueStore store,
    ApiAuditLog audit,
    IOptions<ApiOptions> options)
{
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        long started = Stopwatch.GetTimestamp();
        string caller = "system:anonymous";
        try
        {
            caller = await ServeAsync(context).ConfigureAwait(false) ?? caller;
        }
        finally
        {
            audit.Record(caller, null, "create", context.Request.Path.Value ?? "", context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Answers the request; returns the caller's name once authenticated.</summary>
    private async Task<string?> ServeAsync(HttpContext context)
    {
        if (context.Request.Query["action"] != "generateKubeconfig")
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", "the action here is generateKubeconfig").ConfigureAwait(false);
            return null;
        }

        RequestUser? user = security.Authenticate(context, out bool csrfRefused);
        if (user is null)
        {
            await V3Responses.WriteUnauthenticatedAsync(context, csrfRefused).ConfigureAwait(false);
            return null;
        }

        if (TokenIssuer.CallerToken(user) is not string callerToken)
        {
            // A service account has no User to own a token.
            await V3Responses.WriteErrorAsync(context, 403, "PermissionDenied", "only a user's token can generate a kubeconfig").ConfigureAwait(false);
            return user.Name;
        }

        ResourceDefinition definition = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "clusters")!;
        string? named = context.Request.RouteValues["id"] as string;
        var clusters = new List<string>();
        if (named is not null)
        {
            // One answer for a cluster that does not exist and one the caller may not use: ids are not probed.
            if (engine.Find(definition, null, named) is null || !access.MayUseCluster(user, named))
            {
                await V3Responses.WriteErrorAsync(context, 404, "NotFound", $"cluster {named} not found").ConfigureAwait(false);
                return user.Name;
            }

            clusters.Add(named);
        }
        else
        {
            foreach (KeyValue item in store.Range(definition.KeyPrefix).Items)
            {
                string id = item.Key[definition.KeyPrefix.Length..];
                if (access.MayUseCluster(user, id))
                {
                    clusters.Add(id);
                }
            }

            clusters.Sort(StringComparer.Ordinal);
        }

        ApiToken token = await issuer.IssueAsync(user.Name, TokenPolicy.Kubeconfig,
            named is null ? "kubeconfig for every cluster" : $"kubeconfig for cluster {named}",
            TokenPolicy.Lifetime(engine, TokenPolicy.Kubeconfig, null), authProvider: issuer.AuthProviderOf(callerToken)).ConfigureAwait(false);
        string config = KubeconfigWriter.Build(ServerUrls.Of(engine, context.Request), options.Value.CaCertificatePem, user.Name, token.ToString(), clusters);
        context.Response.Headers.CacheControl = "no-store";
        await JsonResponses.WriteObjectAsync(context, 200, new JsonObject { ["type"] = "generateKubeconfigOutput", ["config"] = config }).ConfigureAwait(false);
        return user.Name;
    }
}
