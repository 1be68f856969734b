using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Auth.GitHub;
using Appliance.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// GitHub sign-in on Rancher's route, <c>/v3-public/githubProviders/github</c>, in three steps:
/// <list type="number">
/// <item><c>GET ?action=authorize</c>: a 302 to GitHub's authorize page with a one-time state and a PKCE challenge;
/// the state, the verifier and the redirect URI are bound to this browser by a sealed cookie
/// (<see cref="PendingCookie"/>: AES-GCM under a key of its own derived from the server's, HttpOnly, Secure,
/// SameSite=Lax so it comes back with GitHub's top-level redirect, 10 minutes).</item>
/// <item><c>GET ?action=callback&amp;code=…&amp;state=…</c>: where GitHub sends the browser back (the redirect URI);
/// the sign-in completes there, and the browser gets the session cookies (<see cref="SessionCookies"/>) and a 302 to <c>/</c>.</item>
/// <item><c>POST ?action=login</c> <c>{"code","state","responseType","ttl","description"}</c> with the pending cookie:
/// the same completion for a UI page that received the callback itself; answered as every login (<see cref="LoginEndpoint"/>).</item>
/// </list>
/// Completion checks the state against the cookie's (constant time), exchanges the code with the verifier, reads the
/// user with its orgs and teams (only those GitHub lists as the user's), applies the access mode, and then the User
/// (keyed by <c>github_user://&lt;id&gt;</c>) takes GitHub's login, name and groups. The pending cookie is cleared at
/// each completion, so a state is used once. GitHub's access token is kept encrypted (<see cref="GitHubAccessTokens"/>)
/// for the periodic refresh of the user's orgs and teams.
/// <c>GET ?action=testCallback</c> is where GitHub sends the administrator's browser back from the test of
/// <see cref="GitHubTestAndApply"/>: it shows the code and state to finish that test with.
/// </summary>
public sealed class GitHubSignIn(
    LoginEndpoint endpoint,
    GitHubProviders providers,
    UserAccounts users,
    GitHubAccessTokens accessTokens,
    RbacCache rbac,
    KeyValueStore store,
    ResourceEngine engine,
    CookieSealer sealer,
    ApiAuditLog audit,
    TimeProvider timeProvider,
    ILogger<GitHubSignIn> logger)
{
    public const string Path = "/v3-public/githubProviders/github";

    public const string PendingCookie = "R_GITHUB_PENDING";

    /// <summary>How long a browser has to come back from GitHub (GitHub's codes live as long).</summary>
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(10);

    private const string Purpose = "github-pending-authorization";

    // Lax, not Strict: the callback is a top-level navigation started on GitHub's site.
    private const string PendingAttributes = "; Path=" + Path + "; Secure; HttpOnly; SameSite=Lax";

    public Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? action = context.Request.Query["action"];
        bool get = HttpMethods.IsGet(context.Request.Method);
        return (action, get) switch
        {
            ("authorize", true) => BeginAsync(context),
            ("callback", true) => CallbackAsync(context),
            ("login", false) => LoginAsync(context),
            ("testCallback", true) => TestCallbackAsync(context),
            _ => V3Responses.WriteErrorAsync(context, 404, "NotFound", "the actions here are GET ?action=authorize, GET ?action=callback, POST ?action=login and GET ?action=testCallback"),
        };
    }

    private async Task BeginAsync(HttpContext context)
    {
        GitHubProvider? provider = providers.Find(out string? problem);
        if (provider is null)
        {
            LoginOutcome outcome = NotReady(problem);
            await V3Responses.WriteErrorAsync(context, outcome.Kind == LoginOutcomeKind.NotEnabled ? 404 : 503,
                outcome.Kind == LoginOutcomeKind.NotEnabled ? "NotFound" : "ServiceUnavailable", outcome.Reason).ConfigureAwait(false);
            return;
        }

        string redirectUri = ServerUrls.Of(engine, context.Request) + Path + "?action=callback";
        GitHubAuthorizationRequest request = provider.OAuth.CreateAuthorizationRequest(redirectUri);
        GitHubPendingAuthorization pending = request.Pending;
        byte[] payload = Encoding.UTF8.GetBytes(pending.State + "\n" + pending.CodeVerifier + "\n" + pending.RedirectUri);
        string sealedValue = sealer.Seal(Purpose, payload, timeProvider.GetUtcNow() + PendingLifetime);
        context.Response.Headers.Append("Set-Cookie", $"{PendingCookie}={sealedValue}; Max-Age={(int)PendingLifetime.TotalSeconds}{PendingAttributes}");
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Location = request.AuthorizeUri.AbsoluteUri;
        context.Response.StatusCode = StatusCodes.Status302Found;
        Log.GitHubSignInStarted(logger, context.Connection.RemoteIpAddress?.ToString(), redirectUri);
    }

    private Task CallbackAsync(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        GitHubPendingAuthorization? pending = ReadPending(context.Request);
        ClearPending(context.Response);
        string? code = query["code"];
        string? state = query["state"];
        var response = new LoginResponse(LoginResponseType.Cookie, null, null, RedirectTo: "/");
        if (string.IsNullOrEmpty(code))
        {
            // GitHub's error (access_denied when the user cancelled) names a condition, not a secret; bounded for the log.
            string error = query["error"].ToString() is { Length: > 0 } named ? named[..Math.Min(named.Length, 64)] : "none";
            return endpoint.CompleteAsync(context, GitHubAuthConfig.Name, null, response,
                _ => Task.FromResult(LoginOutcome.Refused($"GitHub sent the browser back without a code (error: {error})")));
        }

        return endpoint.CompleteAsync(context, GitHubAuthConfig.Name, null, response,
            cancellationToken => AuthenticateAsync(pending, state, code, cancellationToken));
    }

    /// <summary>
    /// GitHub's answer to the test of a new configuration, in the administrator's browser. Nothing is decided here:
    /// the code is worth something only with the PKCE verifier sealed in the session that asked for the test.
    /// </summary>
    private static Task TestCallbackAsync(HttpContext context)
    {
        string? code = context.Request.Query["code"];
        string? state = context.Request.Query["state"];
        context.Response.Headers.CacheControl = "no-store";
        if (string.IsNullOrEmpty(code) || string.IsNullOrEmpty(state))
        {
            string error = context.Request.Query["error"].ToString() is { Length: > 0 } named ? named[..Math.Min(named.Length, 64)] : "none";
            return V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", $"GitHub sent the browser back without a code and state (error: {error}); nothing was saved");
        }

        return JsonResponses.WriteObjectAsync(context, 200, new JsonObject
        {
            ["type"] = "githubTestCallback",
            ["code"] = code,
            ["state"] = state,
            ["message"] = "finish with POST /v3/authConfigs/github?action=testAndApply {\"githubConfig\": {...}, \"code\", \"state\", \"enabled\": true} from the session that asked for configureTest",
        });
    }

    private async Task LoginAsync(HttpContext context)
    {
        GitHubPendingAuthorization? pending = ReadPending(context.Request);
        ClearPending(context.Response);
        JsonObject? body = await V3Responses.ReadBodyAsync(context).ConfigureAwait(false);
        string? code = FieldRules.Text(body?["code"]);
        string? state = FieldRules.Text(body?["state"]);
        if (body is null || string.IsNullOrEmpty(code) || string.IsNullOrEmpty(state))
        {
            audit.RecordLogin(GitHubAuthConfig.Name, "", context.Connection.RemoteIpAddress?.ToString(), "bad-request", null);
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", "the body must be a JSON object with the code and state GitHub sent back").ConfigureAwait(false);
            return;
        }

        if (await endpoint.ReadResponseAsync(context, GitHubAuthConfig.Name, "", body).ConfigureAwait(false) is not LoginResponse response)
        {
            return;
        }

        await endpoint.CompleteAsync(context, GitHubAuthConfig.Name, null, response,
            cancellationToken => AuthenticateAsync(pending, state, code, cancellationToken)).ConfigureAwait(false);
    }

    private async Task<LoginOutcome> AuthenticateAsync(GitHubPendingAuthorization? pending, string? state, string code, CancellationToken cancellationToken)
    {
        GitHubProvider? provider = providers.Find(out string? problem);
        if (provider is null)
        {
            return NotReady(problem);
        }

        if (pending is null)
        {
            return LoginOutcome.Refused("no pending GitHub sign-in in this browser: the cookie is missing, expired, altered or not sealed by this server");
        }

        GitHubResult<GitHubLogin> result = await provider.OAuth.LoginAsync(pending, state, code, cancellationToken).ConfigureAwait(false);
        if (result.Value is not { } login)
        {
            return Failed(result);
        }

        GitHubIdentity identity = login.Identity;
        JsonObject? existing = users.FindByPrincipal(identity.Principal);
        var groups = identity.Groups.Select(group => group.Principal.ToString()).ToHashSet(StringComparer.Ordinal);
        if (AccessMode.Refusal(provider.Config, identity.Principal, groups, FieldRules.Text(existing?["metadata"]?["name"]), rbac.Snapshot, store) is string refusal)
        {
            return LoginOutcome.Forbidden(refusal) with { Username = identity.Login };
        }

        JsonObject user = await users.SyncAsync(identity, existing).ConfigureAwait(false);
        string userId = FieldRules.Text(user["metadata"]?["name"])!;
        await accessTokens.SaveAsync(userId, login.Token).ConfigureAwait(false);
        if (existing is null)
        {
            Log.GitHubUserCreated(logger, userId, identity.Principal.ToString(), identity.Login);
        }

        return (UserAccounts.IsDisabled(user) ? LoginOutcome.Refused("the user is disabled") : LoginOutcome.Succeeded(userId)) with { Username = identity.Login };
    }

    /// <summary>
    /// GitHub's refusals of the user (a wrong state or code, a revoked token) are 401s; what is about the OAuth app's
    /// configuration or GitHub itself is 503 with the reason (which never holds a secret, code or token).
    /// </summary>
    private static LoginOutcome Failed(GitHubResult<GitHubLogin> result) => result.Status switch
    {
        GitHubStatus.StateMismatch or GitHubStatus.CodeRejected or GitHubStatus.TokenRejected or GitHubStatus.OAuthError
            => LoginOutcome.Refused(result.Status + ": " + result.Reason),
        GitHubStatus.ClientRejected or GitHubStatus.RedirectUriMismatch
            => LoginOutcome.Unavailable("GitHub refused the OAuth app as configured: " + result.Reason),
        _ => LoginOutcome.Unavailable("GitHub is unavailable: " + result.Reason),
    };

    private LoginOutcome NotReady(string? problem)
    {
        if (problem is null)
        {
            return LoginOutcome.NotEnabled("the github provider is not enabled");
        }

        Log.DirectoryMisconfigured(logger, GitHubAuthConfig.Name, problem);
        return LoginOutcome.Unavailable("the github provider cannot sign users in as configured; the server log says why");
    }

    /// <summary>The sign-in this browser started, from its sealed cookie; null when absent, expired or not ours.</summary>
    private GitHubPendingAuthorization? ReadPending(HttpRequest request)
    {
        if (!request.Cookies.TryGetValue(PendingCookie, out string? value)
            || sealer.Open(Purpose, value, timeProvider.GetUtcNow()) is not byte[] payload)
        {
            return null;
        }

        string[] parts = Encoding.UTF8.GetString(payload).Split('\n');
        return parts.Length == 3 && parts.All(static part => part.Length > 0) ? new GitHubPendingAuthorization(parts[0], parts[1], parts[2]) : null;
    }

    private static void ClearPending(HttpResponse response)
        => response.Headers.Append("Set-Cookie", $"{PendingCookie}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0{PendingAttributes}");
}
