using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api.Security;

/// <summary>
/// Rancher's <c>POST /v3/tokens?action=logout</c> (deletes the token the request carries) and
/// <c>?action=logoutAll</c> (every token of the caller). Authenticated by that token; no RBAC needed to
/// give up one's own credentials. Revocation is immediate for the API and within a second for the proxy. With the
/// browser session (<see cref="SessionCookies"/>, CSRF header required as for any POST) both cookies are cleared.
/// </summary>
public sealed class TokenLogout(ApiSecurity security, ResourceEngine engine, KeyValueStore store)
{
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? action = context.Request.Query["action"];
        if (action is not ("logout" or "logoutAll"))
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", "the actions here are logout and logoutAll").ConfigureAwait(false);
            return;
        }

        RequestUser? user = security.Authenticate(context, out bool csrfRefused);
        if (user is null)
        {
            if (!csrfRefused)
            {
                // A stale session (expired or revoked token) still leaves the browser signed out.
                ClearSessionCookies(context);
            }

            await V3Responses.WriteUnauthenticatedAsync(context, csrfRefused).ConfigureAwait(false);
            return;
        }

        if (!user.Extra.TryGetValue("requesttokenid", out IReadOnlyList<string>? tokenIds) || tokenIds.Count != 1)
        {
            await V3Responses.WriteErrorAsync(context, 400, "InvalidAction", "only a token from a login or an API key can log out").ConfigureAwait(false);
            return;
        }

        ResourceDefinition tokens = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "tokens")!;
        if (action == "logout")
        {
            await engine.DeleteIfExistsAsync(tokens, null, tokenIds[0]).ConfigureAwait(false);
        }
        else
        {
            foreach (KeyValue item in store.Range(TokenAuthenticator.TokenKeyPrefix).Items)
            {
                if (JsonNode.Parse(item.Value)?["userId"]?.GetValue<string>() == user.Name)
                {
                    await engine.DeleteIfExistsAsync(tokens, null, item.Key[TokenAuthenticator.TokenKeyPrefix.Length..]).ConfigureAwait(false);
                }
            }
        }

        ClearSessionCookies(context);
        await JsonResponses.WriteObjectAsync(context, 200, []).ConfigureAwait(false);
    }

    /// <summary>Drops the browser session's cookies when the request carried either of them.</summary>
    public static void ClearSessionCookies(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.Cookies.ContainsKey(SessionCookies.SessionCookie) || context.Request.Cookies.ContainsKey(SessionCookies.CsrfCookie))
        {
            SessionCookies.Clear(context.Response);
        }
    }
}
