using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Auth.GitHub;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// GitHub's "test and enable", in Rancher's two steps on <c>/v3/authConfigs/github</c>:
/// <list type="number">
/// <item><c>POST ?action=configureTest</c> with the candidate config (Rancher's githubConfig fields: <c>clientId</c>,
/// <c>clientSecret</c> in clear or the stored Secret, <c>hostname</c>, <c>certificate</c>, <c>accessMode</c>,
/// <c>allowedPrincipalIds</c>; bare or as <c>{"githubConfig": {...}}</c>) answers <c>{"redirectUrl": ...}</c>, GitHub's
/// authorize page for that OAuth app with a one-time state and a PKCE challenge. The state, the verifier, the caller's
/// token and the client id are sealed in a cookie (<see cref="PendingCookie"/>, HttpOnly, Secure, SameSite=Strict, 10
/// minutes, only for this path), so the test can be finished only by the session that started it. GitHub sends the
/// browser back to <c>/v3-public/githubProviders/github?action=testCallback</c>, which shows the code and state.</item>
/// <item><c>POST ?action=testAndApply</c> <c>{"githubConfig", "code", "state", "enabled": true}</c> with that cookie
/// checks the state (constant time), exchanges the code with the candidate config, and reads the GitHub user it yields.
/// That user must not be another User's; it is linked to the configuring user (Rancher's "set principal on current
/// user": an administrator keeps signing in, locally or through GitHub), joins <c>allowedPrincipalIds</c> when the
/// access mode restricts, and only then is the config saved and enabled, the client secret in the Secret
/// <c>appliance-system/github-client-secret</c> (encrypted at rest), never in the AuthConfig.</item>
/// </list>
/// A wrong state, a missing or foreign cookie or a refused code saves nothing. The caller needs RBAC's create (new
/// config) or update on <c>authconfigs/github</c>; both steps are audited like API requests.
/// </summary>
public sealed class GitHubTestAndApply(
    ApiSecurity security,
    ResourceEngine engine,
    GitHubProviders providers,
    UserAccounts users,
    GitHubAccessTokens accessTokens,
    CookieSealer sealer,
    ApiAuditLog audit,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider,
    ILogger<GitHubTestAndApply> logger)
{
    public const string PendingCookie = "R_GITHUB_TEST";

    public const string SecretName = "github-client-secret";

    private const string Purpose = "github-configure-test";

    // Strict: only this server's own pages and API clients send it, and only to this path.
    private const string PendingAttributes = "; Path=/v3/authConfigs/github; Secure; HttpOnly; SameSite=Strict";

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        long started = Stopwatch.GetTimestamp();
        string caller = "system:anonymous";
        bool exists = providers.Config() is not null;
        try
        {
            caller = await ServeAsync(context, exists).ConfigureAwait(false) ?? caller;
        }
        finally
        {
            audit.Record(caller, null, exists ? "update" : "create", context.Request.Path.Value ?? "", context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Answers the request; returns the caller's name once authenticated.</summary>
    private async Task<string?> ServeAsync(HttpContext context, bool exists)
    {
        string? action = context.Request.Query["action"];
        if (action is not ("configureTest" or "testAndApply"))
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", "the actions of the github auth config are configureTest and testAndApply").ConfigureAwait(false);
            return null;
        }

        (RequestUser? user, bool allowed) = await security.AuthorizeActionAsync(context, exists ? "update" : "create", "authconfigs", GitHubAuthConfig.Name).ConfigureAwait(false);
        if (!allowed || user is null)
        {
            return user?.Name;
        }

        if (TokenIssuer.CallerToken(user) is not string callerToken)
        {
            // The GitHub user is linked to the configuring User: a service account has none.
            await V3Responses.WriteErrorAsync(context, 403, "PermissionDenied", "only a user's token can test and enable GitHub").ConfigureAwait(false);
            return user.Name;
        }

        JsonObject? body = await V3Responses.ReadBodyAsync(context).ConfigureAwait(false);
        JsonObject? submitted = action == "configureTest" ? body?["githubConfig"] as JsonObject ?? body : body?["githubConfig"] as JsonObject;
        if (submitted is null)
        {
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", action == "configureTest"
                ? "the body must be the github config as a JSON object (or {\"githubConfig\": {...}})"
                : "the body must be a JSON object with githubConfig (an object), code and state").ConfigureAwait(false);
            return user.Name;
        }

        (JsonObject config, string? newSecret) = Candidate(submitted, providers.Config());
        var causes = new List<ApiStatusCause>();
        ManagementObjectRules.PrepareAuthConfig(config, causes);
        string? clientSecret = newSecret;
        if (causes.Count == 0 && clientSecret is null)
        {
            clientSecret = providers.ReadSecret(config, out string? problem)?.Secret;
            if (clientSecret is null)
            {
                causes.Add(FieldRules.Invalid(GitHubAuthConfig.SecretRefField, problem + $"; send {GitHubAuthConfig.SecretField} to store one"));
            }
        }

        if (causes.Count > 0)
        {
            await V3Responses.WriteErrorAsync(context, 422, "InvalidFormat", string.Join("; ", causes.Select(static cause => cause.Field + ": " + cause.Message))).ConfigureAwait(false);
            return user.Name;
        }

        GitHubSettings settings = GitHubAuthConfig.ToSettings(config, clientSecret!);
        if (settings.Validate() is { Count: > 0 } problems)
        {
            await V3Responses.WriteErrorAsync(context, 422, "InvalidFormat", string.Join(" ", problems)).ConfigureAwait(false);
            return user.Name;
        }

        using HttpClient http = GitHubHttp.CreateHttpClient(settings);
        var oauth = new GitHubOAuth(settings, http, loggerFactory.CreateLogger<GitHubOAuth>());
        if (action == "configureTest")
        {
            await BeginAsync(context, oauth, callerToken, settings.ClientId).ConfigureAwait(false);
            return user.Name;
        }

        await FinishAsync(context, oauth, user.Name, callerToken, config, newSecret, body!).ConfigureAwait(false);
        return user.Name;
    }

    private async Task BeginAsync(HttpContext context, GitHubOAuth oauth, string callerToken, string clientId)
    {
        string redirectUri = ServerUrls.Of(engine, context.Request) + GitHubSignIn.Path + "?action=testCallback";
        GitHubAuthorizationRequest request = oauth.CreateAuthorizationRequest(redirectUri);
        GitHubPendingAuthorization pending = request.Pending;
        byte[] payload = Encoding.UTF8.GetBytes(string.Join('\n', pending.State, pending.CodeVerifier, pending.RedirectUri, callerToken, clientId));
        string sealedValue = sealer.Seal(Purpose, payload, timeProvider.GetUtcNow() + GitHubSignIn.PendingLifetime);
        context.Response.Headers.Append("Set-Cookie", $"{PendingCookie}={sealedValue}; Max-Age={(int)GitHubSignIn.PendingLifetime.TotalSeconds}{PendingAttributes}");
        context.Response.Headers.CacheControl = "no-store";
        await JsonResponses.WriteObjectAsync(context, 200, new JsonObject { ["redirectUrl"] = request.AuthorizeUri.AbsoluteUri }).ConfigureAwait(false);
    }

    private async Task FinishAsync(HttpContext context, GitHubOAuth oauth, string userId, string callerToken, JsonObject config, string? newSecret, JsonObject body)
    {
        // One attempt per configureTest, whatever its outcome.
        string? sealedValue = context.Request.Cookies[PendingCookie];
        context.Response.Headers.Append("Set-Cookie", $"{PendingCookie}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0{PendingAttributes}");
        string? code = FieldRules.Text(body["code"]);
        string? state = FieldRules.Text(body["state"]);
        if (string.IsNullOrEmpty(code) || string.IsNullOrEmpty(state))
        {
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", "the body must be a JSON object with githubConfig (an object), code and state").ConfigureAwait(false);
            return;
        }

        string? address = context.Connection.RemoteIpAddress?.ToString();
        GitHubPendingAuthorization? pending = Pending(sealedValue, callerToken, FieldRules.Text(config["clientId"]));
        if (pending is null)
        {
            await RefuseAsync(context, userId, address, "NoPendingTest",
                "no test of this client id was started by this session in the last 10 minutes: call configureTest first, from the same session, and keep its cookie").ConfigureAwait(false);
            return;
        }

        GitHubResult<GitHubLogin> result = await oauth.LoginAsync(pending, state, code, context.RequestAborted).ConfigureAwait(false);
        if (result.Value is not { } login)
        {
            await RefuseAsync(context, userId, address, result.Status.ToString(), $"GitHub did not sign the test user in ({result.Status}): {result.Reason}").ConfigureAwait(false);
            return;
        }

        GitHubIdentity identity = login.Identity;
        if (users.FindByPrincipal(identity.Principal) is JsonObject holder && FieldRules.Text(holder["metadata"]?["name"]) != userId)
        {
            await RefuseAsync(context, userId, address, "PrincipalTaken",
                $"{identity.Principal} ({identity.Login}) is already the user {FieldRules.Text(holder["metadata"]?["name"])}; test with a GitHub account of your own").ConfigureAwait(false);
            return;
        }

        if (engine.Find(Users, null, userId) is null)
        {
            await RefuseAsync(context, userId, address, "NoUser", $"the caller {userId} is not a User to link {identity.Principal} to").ConfigureAwait(false);
            return;
        }

        audit.RecordLogin(GitHubAuthConfig.Name, identity.Login, address, "test-succeeded", userId);
        config["enabled"] = true;
        if (FieldRules.Text(config["accessMode"]) is "restricted" or "required")
        {
            AuthConfigTestAndApply.AddAllowed(config, identity.Principal);
        }

        await users.LinkAsync(userId, identity).ConfigureAwait(false);
        await accessTokens.SaveAsync(userId, login.Token).ConfigureAwait(false);
        if (newSecret is not null)
        {
            await AuthConfigTestAndApply.SaveSecretAsync(engine, SecretName, GitHubAuthConfig.DefaultSecretKey, newSecret, GitHubAuthConfig.Name).ConfigureAwait(false);
        }

        ResourceDefinition authConfigs = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "authconfigs")!;
        JsonObject saved = providers.Config() is null
            ? await engine.CreateAsync(authConfigs, null, config, dryRun: false).ConfigureAwait(false)
            : await engine.ReplaceAsync(authConfigs, null, GitHubAuthConfig.Name, current =>
            {
                // The stored labels and annotations stay; the rest is the tested config.
                config["metadata"] = current["metadata"]?.DeepClone();
                return config.DeepClone().AsObject();
            }).ConfigureAwait(false);
        Log.AuthConfigApplied(logger, GitHubAuthConfig.Name, userId, identity.Principal.ToString());
        await JsonResponses.WriteObjectAsync(context, 200, saved).ConfigureAwait(false);
    }

    private async Task RefuseAsync(HttpContext context, string userId, string? address, string status, string reason)
    {
        audit.RecordLogin(GitHubAuthConfig.Name, "", address, "test-failed", null);
        Log.AuthConfigTestFailed(logger, GitHubAuthConfig.Name, userId, "", status);
        await V3Responses.WriteErrorAsync(context, 422, "TestFailed", "nothing was saved: " + reason).ConfigureAwait(false);
    }

    /// <summary>The test this session started for this client id, from its sealed cookie; null when absent, expired, not ours or another's.</summary>
    private GitHubPendingAuthorization? Pending(string? sealedValue, string callerToken, string? clientId)
    {
        if (sealedValue is null || sealer.Open(Purpose, sealedValue, timeProvider.GetUtcNow()) is not byte[] payload)
        {
            return null;
        }

        string[] parts = Encoding.UTF8.GetString(payload).Split('\n');
        return parts.Length == 5 && parts[3] == callerToken && parts[4] == clientId && parts.All(static part => part.Length > 0)
            ? new GitHubPendingAuthorization(parts[0], parts[1], parts[2])
            : null;
    }

    /// <summary>The AuthConfig to test: the submitted fields, the stored Secret reference unless a client secret is sent; and that secret.</summary>
    private static (JsonObject Config, string? Secret) Candidate(JsonObject submitted, JsonObject? stored)
    {
        JsonObject config = submitted.DeepClone().AsObject();
        string? secret = FieldRules.Text(config[GitHubAuthConfig.SecretField]);
        // Rancher's UI sends these beside the config's fields; they are not the config's.
        foreach (string field in new[] { GitHubAuthConfig.SecretField, "code", "state", "type", "id", "tls" })
        {
            config.Remove(field);
        }

        config["apiVersion"] = ResourceRegistry.ManagementGroup + "/v1";
        config["kind"] = "AuthConfig";
        config["metadata"] = new JsonObject { ["name"] = GitHubAuthConfig.Name };
        config["enabled"] = true;
        if (!string.IsNullOrEmpty(secret))
        {
            config[GitHubAuthConfig.SecretRefField] = new JsonObject
            {
                ["namespace"] = LocalPasswords.SystemNamespace,
                ["name"] = SecretName,
                ["key"] = GitHubAuthConfig.DefaultSecretKey,
            };
            return (config, secret);
        }

        if (config[GitHubAuthConfig.SecretRefField] is null && stored?[GitHubAuthConfig.SecretRefField] is JsonNode reference)
        {
            config[GitHubAuthConfig.SecretRefField] = reference.DeepClone();
        }

        return (config, null);
    }

    private ResourceDefinition Users => engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "users")!;
}
