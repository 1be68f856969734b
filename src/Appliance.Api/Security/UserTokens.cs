using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api.Security;

/// <summary>
/// The caller's own tokens, Rancher's <c>/v3/tokens</c>: <c>POST</c> <c>{"description","ttl" (ms)}</c> makes an API
/// key (201 with <c>token-xxxxx:SECRET</c>, the only time the secret is shown; ttl capped as every token's, see
/// <see cref="TokenPolicy"/>; none never expires up to the maximum), <c>GET</c> lists them and <c>GET</c> or
/// <c>DELETE /v3/tokens/{name}</c> reads or revokes one, never with a secret or hash. Another user's token is not
/// found here (an administrator manages every Token through the Kubernetes API). <c>POST ?action=logout|logoutAll</c>
/// is <see cref="TokenLogout"/>. The browser session works as a bearer token does, its CSRF header required for
/// POST and DELETE; a service account has no tokens here. Each call is audited.
/// </summary>
public sealed class UserTokens(
    ApiSecurity security,
    TokenLogout logout,
    TokenIssuer issuer,
    ResourceEngine engine,
    KeyValueStore store,
    ApiAuditLog audit,
    TimeProvider timeProvider)
{
    /// <summary>Longer is not a description.</summary>
    public const int MaximumDescriptionLength = 1024;

    public Task HandleCollectionAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.Query.ContainsKey("action"))
        {
            return logout.HandleAsync(context);
        }

        return AuditedAsync(context, HttpMethods.IsPost(context.Request.Method) ? "create" : "list", CollectionAsync);
    }

    public Task HandleItemAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return AuditedAsync(context, HttpMethods.IsDelete(context.Request.Method) ? "delete" : "get", ItemAsync);
    }

    private async Task AuditedAsync(HttpContext context, string verb, Func<HttpContext, RequestUser, string, Task> serve)
    {
        long started = Stopwatch.GetTimestamp();
        string caller = "system:anonymous";
        try
        {
            RequestUser? user = security.Authenticate(context, out bool csrfRefused);
            if (user is null)
            {
                await V3Responses.WriteUnauthenticatedAsync(context, csrfRefused).ConfigureAwait(false);
                return;
            }

            caller = user.Name;
            if (TokenIssuer.CallerToken(user) is not string callerToken)
            {
                await V3Responses.WriteErrorAsync(context, 403, "PermissionDenied", "only a user's token has tokens here").ConfigureAwait(false);
                return;
            }

            await serve(context, user, callerToken).ConfigureAwait(false);
        }
        finally
        {
            audit.Record(caller, null, verb, context.Request.Path.Value ?? "", context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task CollectionAsync(HttpContext context, RequestUser user, string callerToken)
    {
        if (HttpMethods.IsGet(context.Request.Method))
        {
            var data = new JsonArray();
            foreach (KeyValue item in store.Range(TokenAuthenticator.TokenKeyPrefix).Items)
            {
                if (JsonNode.Parse(item.Value) is JsonObject token && FieldRules.Text(token["userId"]) == user.Name)
                {
                    data.Add((JsonNode)Shown(token, callerToken));
                }
            }

            await JsonResponses.WriteObjectAsync(context, 200, new JsonObject { ["type"] = "collection", ["resourceType"] = "token", ["data"] = data }).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await V3Responses.WriteErrorAsync(context, 405, "MethodNotAllowed", "/v3/tokens takes GET and POST").ConfigureAwait(false);
            return;
        }

        JsonObject? body = await V3Responses.ReadBodyAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", "the body must be a JSON object: {\"description\",\"ttl\"}").ConfigureAwait(false);
            return;
        }

        if (Problem(body) is string problem)
        {
            await V3Responses.WriteErrorAsync(context, 422, "InvalidFormat", problem).ConfigureAwait(false);
            return;
        }

        long milliseconds = body["ttl"] is JsonValue ttl ? ttl.GetValue<long>() : 0;
        TimeSpan? lifetime = TokenPolicy.Lifetime(engine, TokenPolicy.ApiKey, TokenPolicy.Requested(milliseconds));
        ApiToken created = await issuer.IssueAsync(user.Name, TokenPolicy.ApiKey, FieldRules.Text(body["description"]) ?? "", lifetime,
            authProvider: issuer.AuthProviderOf(callerToken)).ConfigureAwait(false);
        JsonObject stored = engine.Find(Tokens, null, created.Name) ?? throw new InvalidOperationException("The token just created is gone.");
        JsonObject answer = Shown(stored, callerToken);
        // The one time the secret leaves the server.
        answer["token"] = created.ToString();
        context.Response.Headers.CacheControl = "no-store";
        await JsonResponses.WriteObjectAsync(context, 201, answer).ConfigureAwait(false);
    }

    private async Task ItemAsync(HttpContext context, RequestUser user, string callerToken)
    {
        string name = context.Request.RouteValues["name"] as string ?? "";
        JsonObject? token = ApiToken.IsValidName(name) ? engine.Find(Tokens, null, name) : null;
        if (token is null || FieldRules.Text(token["userId"]) != user.Name)
        {
            // One answer for a token that does not exist and another user's: names are not probed.
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", $"token {name} not found").ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsGet(context.Request.Method))
        {
            await JsonResponses.WriteObjectAsync(context, 200, Shown(token, callerToken)).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsDelete(context.Request.Method))
        {
            await V3Responses.WriteErrorAsync(context, 405, "MethodNotAllowed", "/v3/tokens/{name} takes GET and DELETE").ConfigureAwait(false);
            return;
        }

        await engine.DeleteIfExistsAsync(Tokens, null, name).ConfigureAwait(false);
        if (name == callerToken)
        {
            // The browser's own session is gone: its cookies go too.
            TokenLogout.ClearSessionCookies(context);
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>What is wrong with a create body; null when nothing is.</summary>
    private static string? Problem(JsonObject body)
    {
        if (body["description"] is JsonNode description && (FieldRules.Text(description) is not string text || text.Length > MaximumDescriptionLength))
        {
            return $"description must be a string of at most {MaximumDescriptionLength} characters";
        }

        if (body["ttl"] is JsonNode ttl && (ttl is not JsonValue value || value.GetValueKind() != JsonValueKind.Number || !value.TryGetValue(out long milliseconds) || milliseconds < 0))
        {
            return "ttl must be a whole number of milliseconds, 0 or more (0: the longest allowed)";
        }

        return null;
    }

    /// <summary>A Token as Rancher shows one: its fields without the hash, and whether it is the caller's and expired.</summary>
    private JsonObject Shown(JsonObject token, string callerToken)
    {
        string name = FieldRules.Text(token["metadata"]?["name"]) ?? "";
        string? expiresAt = FieldRules.Text(token["expiresAt"]);
        string? created = FieldRules.Text(token["metadata"]?["creationTimestamp"]);
        long ttl = 0;
        bool expired = false;
        if (expiresAt is not null && RbacObjectRules.TryParseTime(expiresAt, out DateTimeOffset expiry))
        {
            expired = expiry <= timeProvider.GetUtcNow();
            if (created is not null && RbacObjectRules.TryParseTime(created, out DateTimeOffset start))
            {
                ttl = (long)(expiry - start).TotalMilliseconds;
            }
        }

        string type = FieldRules.Text(token["type"]) ?? TokenPolicy.ApiKey;
        return new JsonObject
        {
            ["type"] = "token",
            ["id"] = name,
            ["name"] = name,
            ["kind"] = type,
            ["userId"] = token["userId"]?.DeepClone(),
            ["authProvider"] = FieldRules.Text(token["authProvider"]) ?? LocalLogin.Provider,
            ["description"] = token["description"]?.DeepClone() ?? "",
            ["created"] = created,
            ["expiresAt"] = expiresAt ?? "",
            ["ttl"] = ttl,
            ["expired"] = expired,
            ["lastUsedAt"] = token[TokenUsageWriter.LastUsedAtField]?.DeepClone(),
            ["current"] = name == callerToken,
            ["isDerived"] = type != TokenPolicy.Session,
            ["enabled"] = true,
        };
    }

    private ResourceDefinition Tokens => engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "tokens")!;
}
