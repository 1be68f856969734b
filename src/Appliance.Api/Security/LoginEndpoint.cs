using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// What every Rancher-shaped login endpoint (<c>POST /v3-public/{type}Providers/{name}?action=login</c>) shares
/// around its provider's check: the body <c>{"username","password","ttl" (ms),"description","responseType"}</c>,
/// the brute-force brake (<see cref="LoginThrottle"/>, keyed by provider and username, and by client address),
/// the session token (16 h by default, at most 90 days) answered as <c>201 {"type":"token","token":...}</c>,
/// one audit line per attempt and the HTTP answer of each <see cref="LoginOutcomeKind"/>.
/// </summary>
public sealed class LoginEndpoint(TokenIssuer issuer, LoginThrottle throttle, ApiAuditLog audit, ILogger<LoginEndpoint> logger)
{
    /// <summary>The one body of every refusal, whatever its reason.</summary>
    public const string RefusedMessage = "authentication failed";

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

        // Rancher's json (its default) is the only answer served; cookie and kubeconfig are not yet, and
        // a client asking for them must not get a token it would not know to look for.
        string? responseType = FieldRules.Text(body["responseType"]);
        if (responseType is not (null or "" or "json" or "token"))
        {
            audit.RecordLogin(provider, username, address, "bad-request", null);
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", $"responseType \"{responseType}\" is not served; use json").ConfigureAwait(false);
            return;
        }

        // Per provider: the same name at two providers is two accounts, and failures at one do not lock out the other.
        string throttleKey = provider + "/" + username;
        TimeSpan wait = throttle.RetryAfter(throttleKey, address);
        if (wait > TimeSpan.Zero)
        {
            audit.RecordLogin(provider, username, address, "throttled", null);
            context.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await V3Responses.WriteErrorAsync(context, 429, "TooManyRequests", "too many failed logins; try again later").ConfigureAwait(false);
            return;
        }

        LoginOutcome outcome = await authenticate(new LoginAttempt(username, password, address), context.RequestAborted).ConfigureAwait(false);
        switch (outcome.Kind)
        {
            case LoginOutcomeKind.Succeeded:
                throttle.Succeeded(throttleKey, address);
                await IssueAsync(context, provider, body, outcome.UserId!, username, address).ConfigureAwait(false);
                return;
            case LoginOutcomeKind.Refused:
                throttle.Failed(throttleKey, address);
                Log.LoginFailed(logger, provider, username, address, outcome.Reason);
                audit.RecordLogin(provider, username, address, "failed", null);
                await V3Responses.WriteErrorAsync(context, 401, "Unauthorized", RefusedMessage).ConfigureAwait(false);
                return;
            case LoginOutcomeKind.Forbidden:
                Log.LoginForbidden(logger, provider, username, address, outcome.Reason);
                audit.RecordLogin(provider, username, address, "forbidden", null);
                await V3Responses.WriteErrorAsync(context, 403, "PermissionDenied", outcome.Reason).ConfigureAwait(false);
                return;
            case LoginOutcomeKind.Unavailable:
                Log.LoginUnavailable(logger, provider, address, outcome.Reason);
                audit.RecordLogin(provider, username, address, "unavailable", null);
                await V3Responses.WriteErrorAsync(context, 503, "ServiceUnavailable", outcome.Reason).ConfigureAwait(false);
                return;
            default:
                audit.RecordLogin(provider, username, address, "not-enabled", null);
                await V3Responses.WriteErrorAsync(context, 404, "NotFound", outcome.Reason).ConfigureAwait(false);
                return;
        }
    }

    private async Task IssueAsync(HttpContext context, string provider, JsonObject body, string userId, string username, string? address)
    {
        TimeSpan? requested = body["ttl"] is JsonValue ttl && ttl.TryGetValue(out long milliseconds) && milliseconds > 0 ? TimeSpan.FromMilliseconds(milliseconds) : null;
        TimeSpan lifetime = TokenLifetimes.Clamp(requested, TokenLifetimes.Session, TokenLifetimes.Maximum);
        ApiToken token = await issuer.IssueAsync(userId, "session", FieldRules.Text(body["description"]) ?? provider + " login", lifetime).ConfigureAwait(false);
        Log.LoginSucceeded(logger, provider, userId, token.Name);
        audit.RecordLogin(provider, username, address, "succeeded", userId);
        var response = new JsonObject
        {
            ["type"] = "token",
            ["name"] = token.Name,
            ["token"] = token.ToString(),
            ["userId"] = userId,
            ["authProvider"] = provider,
            ["ttl"] = (long)lifetime.TotalMilliseconds,
        };
        await JsonResponses.WriteObjectAsync(context, StatusCodes.Status201Created, response).ConfigureAwait(false);
    }
}
