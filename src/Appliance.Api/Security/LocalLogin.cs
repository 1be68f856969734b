using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api.Security;

/// <summary>
/// Rancher's local login, <c>POST /v3-public/localProviders/local?action=login</c> (body, token and answers in
/// <see cref="LoginEndpoint"/>), so scripts written for Rancher work. A wrong password, an unknown or disabled
/// user and an empty password are the same 401.
/// </summary>
public sealed class LocalLogin(KeyValueStore store, LocalPasswords passwords, LoginEndpoint endpoint)
{
    public const string Provider = "local";

    public Task HandleAsync(HttpContext context) => endpoint.HandleAsync(context, Provider, AuthenticateAsync);

    private async Task<LoginOutcome> AuthenticateAsync(LoginAttempt attempt, CancellationToken cancellationToken)
    {
        string? userId = attempt.Password.Length == 0 ? null : FindEnabledUser(attempt.Username);
        // The hash is checked even without a user, so timing does not tell which usernames exist.
        return await passwords.VerifyAsync(userId, attempt.Password).ConfigureAwait(false) && userId is not null
            ? LoginOutcome.Succeeded(userId)
            : LoginOutcome.Refused("wrong password, or no enabled local user of that name");
    }

    private string? FindEnabledUser(string username)
    {
        foreach (KeyValue item in store.Range(TokenAuthenticator.UserKeyPrefix).Items)
        {
            // A directory user's username is its directory login name: never a local account of that name.
            if (JsonNode.Parse(item.Value) is JsonObject user && FieldRules.Text(user["username"]) == username && UserAccounts.IsLocalAccount(user))
            {
                return user["enabled"] is JsonValue enabled && enabled.GetValueKind() == JsonValueKind.False ? null : FieldRules.Text(user["metadata"]?["name"]);
            }
        }

        return null;
    }
}
