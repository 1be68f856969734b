using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// Rancher's administrator action <c>POST /v3/users/{id}?action=setpassword</c> <c>{"newPassword", "mustChangePassword"?}</c>:
/// sets a local user's password without knowing the old one (what <c>appliance user add|passwd</c> uses). The caller
/// needs RBAC's <c>update</c> on <c>users/{id}</c> in management.appliance.io, checked before anything about the user
/// is told; the password must meet <see cref="PasswordPolicy"/>; <c>mustChangePassword</c>, when given, is set on the
/// User (left as it is otherwise). A directory or GitHub user has no local password: 422. Answers the User as
/// stored (200); audited like an API request, logged without the password.
/// </summary>
public sealed class PasswordSet(ApiSecurity security, LocalPasswords passwords, ResourceEngine engine, ApiAuditLog audit, ILogger<PasswordSet> logger)
{
    public async Task HandleAsync(HttpContext context, string userId)
    {
        ArgumentNullException.ThrowIfNull(context);
        long started = Stopwatch.GetTimestamp();
        string caller = "system:anonymous";
        try
        {
            caller = await ServeAsync(context, userId).ConfigureAwait(false) ?? caller;
        }
        finally
        {
            audit.Record(caller, null, "update", context.Request.Path.Value ?? "", context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Answers the request; returns the caller's name once authenticated.</summary>
    private async Task<string?> ServeAsync(HttpContext context, string userId)
    {
        if (context.Request.Query["action"] != "setpassword")
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", "the action here is setpassword").ConfigureAwait(false);
            return null;
        }

        (RequestUser? user, bool allowed) = await security.AuthorizeActionAsync(context, "update", "users", userId).ConfigureAwait(false);
        if (!allowed || user is null)
        {
            return user?.Name;
        }

        JsonObject? body = await V3Responses.ReadBodyAsync(context).ConfigureAwait(false);
        string? password = FieldRules.Text(body?["newPassword"]);
        JsonNode? mustChangeNode = body?["mustChangePassword"];
        bool? mustChange = mustChangeNode?.GetValueKind() switch
        {
            null => null,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => (bool?)null,
        };
        if (password is null || (mustChangeNode is not null && mustChange is null))
        {
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", "the body must be a JSON object with newPassword (a string) and optionally mustChangePassword (true or false)").ConfigureAwait(false);
            return user.Name;
        }

        ResourceDefinition users = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "users")!;
        JsonObject? target = engine.Find(users, null, userId);
        if (target is null)
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", $"user {userId} not found").ConfigureAwait(false);
            return user.Name;
        }

        if (!UserAccounts.IsLocalAccount(target))
        {
            await V3Responses.WriteErrorAsync(context, 422, "InvalidAction", $"user {userId} signs in through an external provider and has no local password").ConfigureAwait(false);
            return user.Name;
        }

        if (PasswordHasher.ValidateLength(password, PasswordPolicy.MinimumLength(engine)) is string tooShort)
        {
            await V3Responses.WriteErrorAsync(context, 422, "InvalidFormat", tooShort).ConfigureAwait(false);
            return user.Name;
        }

        await passwords.SetAsync(userId, password).ConfigureAwait(false);
        if (mustChange is bool flag && UserMustChange(target) != flag)
        {
            target = await engine.ReplaceAsync(users, null, userId, stored =>
            {
                stored["mustChangePassword"] = flag;
                return stored;
            }).ConfigureAwait(false);
        }

        Log.PasswordSet(logger, user.Name, userId, UserMustChange(target));
        await JsonResponses.WriteObjectAsync(context, 200, target).ConfigureAwait(false);
        return user.Name;
    }

    private static bool UserMustChange(JsonObject user) => user["mustChangePassword"] is JsonValue value && value.GetValueKind() == JsonValueKind.True;
}
