using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Api.Security;

/// <summary>
/// What every Rancher-shaped login endpoint (<c>POST /v3-public/{type}Providers/{name}?action=login</c>) shares
/// around its provider's check: the body <c>{"username","password","ttl" (ms),"description","responseType"}</c>,
/// the brute-force brake (<see cref="LoginThrottle"/>, keyed by provider and username, and by client address),
/// the token and how it is answered (<see cref="LoginResponseType"/>: <c>json</c> 201 with the token,
/// <c>cookie</c> the browser session of <see cref="SessionCookies"/>, <c>kubeconfig</c> a kubeconfig for every
/// cluster the user may reach), one audit line per attempt and the HTTP answer of each <see cref="LoginOutcomeKind"/>.
/// </summary>
public sealed class LoginEndpoint(
    TokenIssuer issuer,
    LoginThrottle throttle,
    ApiAuditLog audit,
    TokenAuthenticator tokens,
    ClusterAccess access,
    ResourceEngine engine,
    KeyValueStore store,
    IOptions<ApiOptions> options,
    ILogger<LoginEndpoint> logger)
{
    /// <summary>The one body of every refusal, whatever its reason.</summary>
    public const string RefusedMessage = "authentication failed";

    /// <summary>A username/password login: reads the body, then <see cref="CompleteAsync"/>.</summary>
    public async Task HandleAsync(HttpContext context, string provider, Func<LoginAttempt, CancellationToken, Task<LoginOutcome>> authenticate)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authenticate);
        if (context.Request.Query["action"] != "login")
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", "the only action here is login").ConfigureAwait(false);
            return;
        }

        string? address = context.Connection.RemoteIpAddress?.ToString();
        JsonObject? body = await V3Responses.ReadBodyAsync(context).ConfigureAwait(false);
        string? username = FieldRules.Text(body?["username"]);
        string? password = FieldRules.Text(body?["password"]);
        if (body is null || username is null || password is null)
        {
            audit.RecordLogin(provider, username ?? "", address, "bad-request", null);
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", "the body must be a JSON object with username and password").ConfigureAwait(false);
            return;
        }

        if (await ReadResponseAsync(context, provider, username, body).ConfigureAwait(false) is not LoginResponse response)
        {
            return;
        }

        await CompleteAsync(context, provider, username, response,
            cancellationToken => authenticate(new LoginAttempt(username, password, address), cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// How the body asks to be answered (<c>responseType</c>, <c>ttl</c>, <c>description</c>); null when it asks for
    /// something not served, after answering 400 and auditing it.
    /// </summary>
    public async Task<LoginResponse?> ReadResponseAsync(HttpContext context, string provider, string username, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(body);
        string? responseType = FieldRules.Text(body["responseType"]);
        LoginResponseType? type = responseType switch
        {
            null or "" or "json" or "token" => LoginResponseType.Json,
            "cookie" => LoginResponseType.Cookie,
            "kubeconfig" => LoginResponseType.Kubeconfig,
            _ => null,
        };
        if (type is null)
        {
            audit.RecordLogin(provider, username, context.Connection.RemoteIpAddress?.ToString(), "bad-request", null);
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", $"responseType \"{responseType}\" is not served; use json, cookie or kubeconfig").ConfigureAwait(false);
            return null;
        }

        // Login CSRF: another site's form can post a JSON-looking text/plain body and have the victim's browser keep
        // the attacker's session. No form (and no cross-site script without a CORS preflight we never grant) can send
        // application/json, so a cookie login must.
        if (type == LoginResponseType.Cookie && !IsJson(context.Request.ContentType))
        {
            audit.RecordLogin(provider, username, context.Connection.RemoteIpAddress?.ToString(), "bad-request", null);
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", "a login with responseType cookie must be sent as application/json").ConfigureAwait(false);
            return null;
        }

        TimeSpan? ttl = body["ttl"] is JsonValue value && value.TryGetValue(out long milliseconds) ? TokenPolicy.Requested(milliseconds) : null;
        return new LoginResponse(type.Value, ttl, FieldRules.Text(body["description"]));
    }

    /// <summary>
    /// The brake, the provider's check and the answer. <paramref name="username"/> is what the client claimed to be
    /// (keyed by the brake and written to the audit); null when the provider learns who it is only by checking
    /// (GitHub), so the brake keys the client address alone and the audit names whom the provider found.
    /// </summary>
    public async Task CompleteAsync(HttpContext context, string provider, string? username, LoginResponse response, Func<CancellationToken, Task<LoginOutcome>> authenticate)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(authenticate);
        string? address = context.Connection.RemoteIpAddress?.ToString();

        // Per provider: the same name at two providers is two accounts, and failures at one do not lock out the other.
        string? throttleKey = username is null ? null : provider + "/" + username;
        TimeSpan wait = throttle.RetryAfter(throttleKey, address);
        if (wait > TimeSpan.Zero)
        {
            audit.RecordLogin(provider, username ?? "", address, "throttled", null);
            context.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await V3Responses.WriteErrorAsync(context, 429, "TooManyRequests", "too many failed logins; try again later").ConfigureAwait(false);
            return;
        }

        LoginOutcome outcome = await authenticate(context.RequestAborted).ConfigureAwait(false);
        string shownName = username ?? outcome.Username ?? "";
        switch (outcome.Kind)
        {
            case LoginOutcomeKind.Succeeded:
                throttle.Succeeded(throttleKey, address);
                await IssueAsync(context, provider, response, outcome.UserId!, shownName, address).ConfigureAwait(false);
                return;
            case LoginOutcomeKind.Refused:
                throttle.Failed(throttleKey, address);
                Log.LoginFailed(logger, provider, shownName, address, outcome.Reason);
                audit.RecordLogin(provider, shownName, address, "failed", null);
                await V3Responses.WriteErrorAsync(context, 401, "Unauthorized", RefusedMessage).ConfigureAwait(false);
                return;
            case LoginOutcomeKind.Forbidden:
                Log.LoginForbidden(logger, provider, shownName, address, outcome.Reason);
                audit.RecordLogin(provider, shownName, address, "forbidden", null);
                await V3Responses.WriteErrorAsync(context, 403, "PermissionDenied", outcome.Reason).ConfigureAwait(false);
                return;
            case LoginOutcomeKind.Unavailable:
                Log.LoginUnavailable(logger, provider, address, outcome.Reason);
                audit.RecordLogin(provider, shownName, address, "unavailable", null);
                await V3Responses.WriteErrorAsync(context, 503, "ServiceUnavailable", outcome.Reason).ConfigureAwait(false);
                return;
            default:
                audit.RecordLogin(provider, shownName, address, "not-enabled", null);
                await V3Responses.WriteErrorAsync(context, 404, "NotFound", outcome.Reason).ConfigureAwait(false);
                return;
        }
    }

    private async Task IssueAsync(HttpContext context, string provider, LoginResponse response, string userId, string username, string? address)
    {
        // A kubeconfig outlives a browser session: its token gets the kubeconfig TTL (30 days), as Rancher's does.
        string type = response.Type == LoginResponseType.Kubeconfig ? TokenPolicy.Kubeconfig : TokenPolicy.Session;
        TimeSpan? lifetime = TokenPolicy.Lifetime(engine, type, response.Ttl);
        ApiToken token = await issuer.IssueAsync(userId, type, response.Description ?? provider + " login", lifetime, authProvider: provider).ConfigureAwait(false);
        Log.LoginSucceeded(logger, provider, userId, token.Name);
        audit.RecordLogin(provider, username, address, "succeeded", userId);
        var answer = new JsonObject
        {
            ["type"] = "token",
            ["name"] = token.Name,
            ["userId"] = userId,
            ["authProvider"] = provider,
            ["ttl"] = (long)(lifetime ?? TimeSpan.Zero).TotalMilliseconds,
        };
        switch (response.Type)
        {
            case LoginResponseType.Cookie:
                // The token goes only into the HttpOnly cookie: a body the page's scripts read must not hold it.
                SessionCookies.Set(context.Response, token.ToString());
                if (response.RedirectTo is string target)
                {
                    context.Response.StatusCode = StatusCodes.Status302Found;
                    context.Response.Headers.Location = target;
                    return;
                }

                await JsonResponses.WriteObjectAsync(context, StatusCodes.Status200OK, answer).ConfigureAwait(false);
                return;
            case LoginResponseType.Kubeconfig:
                string yaml = Kubeconfig(context, userId, token.ToString());
                context.Response.StatusCode = StatusCodes.Status201Created;
                context.Response.ContentType = "application/yaml";
                context.Response.Headers.CacheControl = "no-store";
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(yaml), context.RequestAborted).ConfigureAwait(false);
                return;
            default:
                answer["token"] = token.ToString();
                await JsonResponses.WriteObjectAsync(context, StatusCodes.Status201Created, answer).ConfigureAwait(false);
                return;
        }
    }

    private static bool IsJson(string? contentType)
        => Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out Microsoft.Net.Http.Headers.MediaTypeHeaderValue? media)
           && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>One context per cluster the new token's user may reach through the proxy, in name order.</summary>
    private string Kubeconfig(HttpContext context, string userId, string token)
    {
        var clusters = new List<string>();
        // Access is decided for the user as the token presents it (groups included), exactly as the proxy will.
        if (tokens.Authenticate(token, out AuthenticatedUser? user) == TokenAuthenticationStatus.Authenticated)
        {
            ResourceDefinition definition = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "clusters")!;
            foreach (KeyValue item in store.Range(definition.KeyPrefix).Items)
            {
                string id = item.Key[definition.KeyPrefix.Length..];
                if (access.MayUseCluster(user!, id))
                {
                    clusters.Add(id);
                }
            }
        }

        clusters.Sort(StringComparer.Ordinal);
        return KubeconfigWriter.Build(ServerUrls.Of(engine, context.Request), options.Value.CaCertificatePem, userId, token, clusters);
    }
}

/// <summary>How a successful login is answered (Rancher's <c>responseType</c>).</summary>
public enum LoginResponseType
{
    /// <summary><c>json</c> (the default): 201 <c>{"type":"token","token":"token-xxxxx:SECRET",...}</c>.</summary>
    Json,

    /// <summary><c>cookie</c>: 200 with the session in <c>R_SESS</c> (and <c>CSRF</c>); the body has no token.</summary>
    Cookie,

    /// <summary><c>kubeconfig</c>: 201, a kubeconfig (YAML) with a kubeconfig token (30 days) for every cluster the user may reach.</summary>
    Kubeconfig,
}

/// <summary>What a login asked for: the answer, the token's TTL and description; <see cref="RedirectTo"/> sends a cookie login's browser on (a 302).</summary>
public sealed record LoginResponse(LoginResponseType Type, TimeSpan? Ttl, string? Description, string? RedirectTo = null);
