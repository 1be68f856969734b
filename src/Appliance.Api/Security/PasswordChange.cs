using System.Text.Json.Nodes;
using Appliance.Auth;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api.Security;

/// <summary>
/// Rancher's <c>POST /v3/users?action=changepassword</c> <c>{"currentPassword","newPassword"}</c>: a local user
/// changes their own password (the way out of the bootstrap admin's <c>mustChangePassword</c>). Authenticated
/// by the caller's token and the current password; the new one must meet the minimum length.
/// </summary>
public sealed class PasswordChange(ApiSecurity security, LocalPasswords passwords, ResourceEngine engine)
{
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.Query["action"] != "changepassword")
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", "the action here is changepassword").ConfigureAwait(false);
            return;
        }

        RequestUser? user = security.Authenticate(context, out bool csrfRefused);
        if (user is null)
        {
            await V3Responses.WriteUnauthenticatedAsync(context, csrfRefused).ConfigureAwait(false);
            return;
        }

        JsonObject? body = await V3Responses.ReadBodyAsync(context).ConfigureAwait(false);

        string? current = FieldRules.Text(body?["currentPassword"]);
        string? replacement = FieldRules.Text(body?["newPassword"]);
        if (current is null || replacement is null)
        {
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", "the body must be a JSON object with currentPassword and newPassword").ConfigureAwait(false);
            return;
        }

        if (!await passwords.VerifyAsync(user.Name, current).ConfigureAwait(false))
        {
            await V3Responses.WriteErrorAsync(context, 403, "Forbidden", "the current password is not right").ConfigureAwait(false);
            return;
        }

        if (PasswordHasher.ValidateLength(replacement, PasswordPolicy.MinimumLength(engine)) is string tooShort)
        {
            await V3Responses.WriteErrorAsync(context, 422, "InvalidFormat", tooShort).ConfigureAwait(false);
            return;
        }

        await passwords.SetAsync(user.Name, replacement).ConfigureAwait(false);
        ResourceDefinition users = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "users")!;
        await engine.ReplaceAsync(users, null, user.Name, stored =>
        {
            stored["mustChangePassword"] = false;
            return stored;
        }).ConfigureAwait(false);
        await JsonResponses.WriteObjectAsync(context, 200, []).ConfigureAwait(false);
    }
}
