using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Auth.GitHub;
using Appliance.Store;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// Keeps GitHub users' orgs and teams in line with GitHub between sign-ins, a pass of <see cref="DirectoryUserRefresher"/>
/// (same Setting, same period). Each User holding a <c>github_user://</c> principal is read from GitHub with the access
/// token its last sign-in left (<see cref="GitHubAccessTokens"/>):
/// <list type="bullet">
/// <item>GitHub answers: its groups follow; no longer admitted by the access mode, a GitHub user is disabled (enabled
/// again once admitted) and a local account holding the principal loses its GitHub groups and GitHub tokens.</item>
/// <item>GitHub refuses the token (401: the user revoked the app, or GitHub expired it): the user's GitHub groups are
/// dropped, its tokens from GitHub sign-ins revoked and the stored token deleted; signing in again restores them.</item>
/// <item>provider disabled or not configured: a GitHub user is disabled as a directory user is; a local account keeps
/// its own access and loses its GitHub groups (tokens from GitHub sign-ins already stop while it is disabled).</item>
/// <item>GitHub unavailable, or the provider misconfigured: nothing changes; it is logged.</item>
/// </list>
/// A user without a stored token (signed in before tokens were kept) is left as it is until its next sign-in.
/// </summary>
public sealed class GitHubUserRefresher(
    GitHubProviders providers,
    UserAccounts users,
    GitHubAccessTokens accessTokens,
    ResourceEngine engine,
    KeyValueStore store,
    RbacCache rbac,
    ILogger<GitHubUserRefresher> logger)
{
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        List<(JsonObject User, PrincipalId Principal)> members = [];
        foreach (JsonObject user in users.All())
        {
            if (UserAccounts.PrincipalOf(user, PrincipalKind.GitHubUser) is PrincipalId principal)
            {
                members.Add((user, principal));
            }
        }

        if (members.Count == 0)
        {
            return;
        }

        GitHubProvider? provider = providers.Find(out string? problem);
        if (problem is not null)
        {
            Log.DirectoryMisconfigured(logger, GitHubAuthConfig.Name, problem);
            return;
        }

        int updated = 0, revoked = 0, refused = 0, withoutToken = 0;
        foreach ((JsonObject user, PrincipalId principal) in members)
        {
            string userId = FieldRules.Text(user["metadata"]?["name"])!;
            try
            {
                if (provider is null)
                {
                    refused += await RefuseAsync(user, userId, $"the {GitHubAuthConfig.Name} provider is not enabled", revokeTokens: false).ConfigureAwait(false);
                    continue;
                }

                if (accessTokens.Read(userId) is not GitHubAccessToken token)
                {
                    withoutToken++;
                    continue;
                }

                GitHubResult<GitHubIdentity> result = await provider.OAuth.GetIdentityAsync(token, cancellationToken).ConfigureAwait(false);
                if (result.Status == GitHubStatus.TokenRejected)
                {
                    revoked++;
                    await users.DropGroupsAsync(user, UserAccounts.GitHubGroupKinds).ConfigureAwait(false);
                    Log.GitHubAccessRevoked(logger, userId, await RevokeTokensAsync(userId).ConfigureAwait(false));
                    await accessTokens.DeleteAsync(userId).ConfigureAwait(false);
                    continue;
                }

                if (result.Value is not GitHubIdentity identity)
                {
                    if (result.Status is GitHubStatus.Timeout or GitHubStatus.Unreachable or GitHubStatus.ServerError or GitHubStatus.RateLimited or GitHubStatus.TlsFailure)
                    {
                        // Not an answer about this user: the rest would fare no better, and nobody loses access to an outage.
                        Log.GitHubRefreshSkipped(logger, result.Reason);
                        break;
                    }

                    Log.GitHubUserRefreshFailed(logger, userId, result.Status + ": " + result.Reason);
                    continue;
                }

                if (identity.Principal != principal)
                {
                    Log.GitHubUserRefreshFailed(logger, userId, $"the stored token is {identity.Principal}'s, not {principal}'s");
                    continue;
                }

                var groups = identity.Groups.Select(group => group.Principal.ToString()).ToHashSet(StringComparer.Ordinal);
                if (AccessMode.Refusal(provider.Config, principal, groups, userId, rbac.Snapshot, store) is string refusal)
                {
                    refused += await RefuseAsync(user, userId, refusal, revokeTokens: true).ConfigureAwait(false);
                    continue;
                }

                if (!ReferenceEquals(await users.SyncAsync(identity, user).ConfigureAwait(false), user))
                {
                    updated++;
                }
            }
            catch (ApiException e)
            {
                // Deleted or changed by someone else meanwhile: the next pass sees it as it is then.
                Log.GitHubUserRefreshFailed(logger, userId, e.Status.Message ?? e.Message);
            }
        }

        Log.GitHubRefreshed(logger, members.Count, updated, revoked, refused, withoutToken);
    }

    /// <summary>
    /// GitHub no longer vouches for the user: a GitHub user is disabled (which revokes every token of it); a local
    /// account keeps its own access, loses its GitHub groups and, if <paramref name="revokeTokens"/>, its GitHub tokens.
    /// 1 when it lost access.
    /// </summary>
    private async Task<int> RefuseAsync(JsonObject user, string userId, string reason, bool revokeTokens)
    {
        if (UserAccounts.IsLocalAccount(user))
        {
            await users.DropGroupsAsync(user, UserAccounts.GitHubGroupKinds).ConfigureAwait(false);
            return revokeTokens && await RevokeTokensAsync(userId).ConfigureAwait(false) > 0 ? 1 : 0;
        }

        bool wasEnabled = !UserAccounts.IsDisabled(user);
        await users.DisableAsync(user, reason).ConfigureAwait(false);
        if (wasEnabled)
        {
            Log.DirectoryUserDisabled(logger, userId, reason);
            return 1;
        }

        return 0;
    }

    /// <summary>Deletes the user's tokens issued through GitHub sign-ins (and those made with them); how many.</summary>
    private async Task<int> RevokeTokensAsync(string userId)
    {
        ResourceDefinition tokens = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "tokens")!;
        int count = 0;
        foreach (KeyValue item in store.Range(TokenAuthenticator.TokenKeyPrefix).Items)
        {
            JsonNode? token = JsonNode.Parse(item.Value);
            if (FieldRules.Text(token?["userId"]) == userId && FieldRules.Text(token?["authProvider"]) == GitHubAuthConfig.Name)
            {
                await engine.DeleteIfExistsAsync(tokens, null, item.Key[TokenAuthenticator.TokenKeyPrefix.Length..]).ConfigureAwait(false);
                count++;
            }
        }

        return count;
    }
}
