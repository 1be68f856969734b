using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth.GitHub;

namespace Appliance.Api.Security;

/// <summary>
/// The GitHub access token of each GitHub user, kept (as Rancher keeps it) so the periodic refresh can read the
/// user's orgs and teams between sign-ins: one Secret per user, <c>appliance-system/github-token-{userId}</c>, key
/// <c>accessToken</c>, encrypted at rest like every Secret and readable only by administrators. Replaced at each
/// sign-in; deleted when GitHub refuses it.
/// </summary>
public sealed class GitHubAccessTokens(ResourceEngine engine)
{
    public const string Key = "accessToken";

    /// <summary>On each of these Secrets, naming the User it belongs to.</summary>
    public const string OwnerLabel = "management.appliance.io/github-token-of";

    public static string SecretName(string userId) => "github-token-" + userId;

    /// <summary>Keeps <paramref name="token"/> as <paramref name="userId"/>'s.</summary>
    public async Task SaveAsync(string userId, GitHubAccessToken token)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(token);
        string scopes = string.Join(",", token.Scopes);
        if (engine.Find(Secrets, LocalPasswords.SystemNamespace, SecretName(userId)) is not null)
        {
            await engine.ReplaceAsync(Secrets, LocalPasswords.SystemNamespace, SecretName(userId), secret =>
            {
                secret["data"] = new JsonObject();
                secret["stringData"] = new JsonObject { [Key] = token.Value, ["scopes"] = scopes };
                return secret;
            }).ConfigureAwait(false);
            return;
        }

        try
        {
            await engine.CreateAsync(Secrets, LocalPasswords.SystemNamespace, new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = SecretName(userId),
                    ["labels"] = new JsonObject { [OwnerLabel] = userId },
                },
                ["stringData"] = new JsonObject { [Key] = token.Value, ["scopes"] = scopes },
            }, dryRun: false).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Status.Reason == "AlreadyExists")
        {
            // Another sign-in of the same user just wrote one: the later token wins next time.
        }
    }

    /// <summary>The user's stored token, or null when there is none.</summary>
    public GitHubAccessToken? Read(string userId)
    {
        JsonObject? secret = engine.Find(Secrets, LocalPasswords.SystemNamespace, SecretName(userId));
        if (FieldRules.Text(secret?["data"]?[Key]) is not { Length: > 0 } base64)
        {
            return null;
        }

        string scopes = FieldRules.Text(secret!["data"]?["scopes"]) is { } encoded ? Encoding.UTF8.GetString(Convert.FromBase64String(encoded)) : "";
        return new GitHubAccessToken(Encoding.UTF8.GetString(Convert.FromBase64String(base64)), scopes.Split(',', StringSplitOptions.RemoveEmptyEntries));
    }

    public Task DeleteAsync(string userId) => engine.DeleteIfExistsAsync(Secrets, LocalPasswords.SystemNamespace, SecretName(userId));

    private ResourceDefinition Secrets => engine.Registry.Find("", "v1", "secrets")!;
}
