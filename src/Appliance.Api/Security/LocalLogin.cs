using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// Rancher's local login, <c>POST /v3-public/localProviders/local?action=login</c> with
/// <c>{"username","password","ttl" (ms),"description"}</c>: a session token (16 h by default, at most 90 days)
/// answered as <c>201 {"type":"token","token":"token-xxxxx:SECRET",...}</c>, so scripts written for Rancher
/// work. A wrong password, an unknown or disabled user and an empty password are the same 401.
/// </summary>
public sealed class LocalLogin(KeyValueStore store, LocalPasswords passwords, TokenIssuer issuer, LoginThrottle throttle, ILogger<LocalLogin> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.Query["action"] != "login")
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", "the only action here is login").ConfigureAwait(false);
            return;
        }

        JsonObject? body = await V3Responses.ReadBodyAsync(context).ConfigureAwait(false);
        string? username = Text(body?["username"]);
        string? password = Text(body?["password"]);
        if (body is null || username is null || password is null)
        {
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", "the body must be a JSON object with username and password").ConfigureAwait(false);
            return;
        }

        string? address = context.Connection.RemoteIpAddress?.ToString();
        TimeSpan wait = throttle.RetryAfter(username, address);
        if (wait > TimeSpan.Zero)
        {
            context.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await V3Responses.WriteErrorAsync(context, 429, "TooManyRequests", "too many failed logins; try again later").ConfigureAwait(false);
            return;
        }

        string? userId = password.Length == 0 ? null : FindEnabledUser(username);
        // The hash is checked even without a user, so timing does not tell which usernames exist.
        if (!await passwords.VerifyAsync(userId, password).ConfigureAwait(false) || userId is null)
        {
            throttle.Failed(username, address);
            Log.LoginFailed(logger, "local", address);
            await V3Responses.WriteErrorAsync(context, 401, "Unauthorized", "authentication failed").ConfigureAwait(false);
            return;
        }

        throttle.Succeeded(username, address);

        TimeSpan? requested = body["ttl"] is JsonValue ttl && ttl.TryGetValue(out long milliseconds) && milliseconds > 0 ? TimeSpan.FromMilliseconds(milliseconds) : null;
        TimeSpan lifetime = TokenLifetimes.Clamp(requested, TokenLifetimes.Session, TokenLifetimes.Maximum);
        ApiToken token = await issuer.IssueAsync(userId, "session", Text(body["description"]) ?? "local login", lifetime).ConfigureAwait(false);
        Log.LoginSucceeded(logger, "local", userId, token.Name);
        var response = new JsonObject
        {
            ["type"] = "token",
            ["name"] = token.Name,
            ["token"] = token.ToString(),
            ["userId"] = userId,
            ["authProvider"] = "local",
            ["ttl"] = (long)lifetime.TotalMilliseconds,
        };
        await JsonResponses.WriteObjectAsync(context, StatusCodes.Status201Created, response).ConfigureAwait(false);
    }

    private string? FindEnabledUser(string username)
    {
        foreach (KeyValue item in store.Range(TokenAuthenticator.UserKeyPrefix).Items)
        {
            if (JsonNode.Parse(item.Value) is JsonObject user && Text(user["username"]) == username)
            {
                return user["enabled"] is JsonValue enabled && enabled.GetValueKind() == JsonValueKind.False ? null : Text(user["metadata"]?["name"]);
            }
        }

        return null;
    }

    private static string? Text(JsonNode? node) => FieldRules.Text(node);
}
