using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Auth.GitHub;
using Appliance.Store;

namespace Appliance.Api.Security;

/// <summary>
/// The User objects (management.appliance.io/v1), one way for every provider. Names are Rancher's
/// <c>u-xxxxx</c>, chosen here so a local user's principal (<c>local://u-xxxxx</c>) can name the object that
/// holds it. A directory user is found by its stable principal (<c>openldap_user://&lt;entryUUID&gt;</c>), never by
/// name, is created at its first sign-in, and its <c>username</c>, <c>displayName</c>, <c>groupPrincipalIds</c>
/// and DN annotation follow the directory at every sign-in and refresh; a GitHub user (<c>github_user://&lt;id&gt;</c>)
/// likewise follows GitHub at every sign-in and refresh. A local user can also hold an external principal (GitHub's
/// test and enable links the configuring administrator's): it stays a local account (its username, display name and
/// password are its own), and the provider keeps only that provider's groups of it up to date.
/// </summary>
public sealed class UserAccounts(ResourceEngine engine, KeyValueStore store)
{
    /// <summary>Where the user's entry is now: for people; the principal, not the DN, is the identity.</summary>
    public const string DistinguishedNameAnnotation = "management.appliance.io/distinguished-name";

    /// <summary>
    /// Set (to the reason) when the directory refresh disabled the user: gone from the directory or no longer
    /// admitted by the access mode. Only a user disabled this way is enabled again by the directory; one an
    /// administrator disabled stays disabled.
    /// </summary>
    public const string DisabledByDirectoryAnnotation = "management.appliance.io/disabled-by-directory";

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    private ResourceDefinition Users => engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "users")!;

    /// <summary>Creates the User <paramref name="build"/> makes for a fresh <c>u-xxxxx</c> name; returns the name.</summary>
    public async Task<string> CreateAsync(Func<string, JsonObject> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        while (true)
        {
            string id = "u-" + RandomNumberGenerator.GetString(IdAlphabet, 5);
            JsonObject user = build(id);
            user["apiVersion"] = ResourceRegistry.ManagementGroup + "/v1";
            user["kind"] = "User";
            JsonObject metadata = user["metadata"] as JsonObject ?? [];
            metadata["name"] = id;
            user["metadata"] = metadata;
            try
            {
                await engine.CreateAsync(Users, null, user, dryRun: false).ConfigureAwait(false);
                return id;
            }
            catch (ApiException e) when (e.Status.Reason == "AlreadyExists")
            {
                // 36^5 names: a collision is rare but possible; a new name, never a shared one.
            }
        }
    }

    /// <summary>
    /// True for a local account: it holds a local principal, or no principal of another provider. False for a user a
    /// directory or GitHub created, whose username is that provider's login name and never a local account's.
    /// </summary>
    public static bool IsLocalAccount(JsonObject user)
    {
        ArgumentNullException.ThrowIfNull(user);
        bool external = false;
        if (user["principalIds"] is JsonArray principals)
        {
            foreach (JsonNode? principal in principals)
            {
                if (PrincipalId.TryParse(FieldRules.Text(principal), out PrincipalId id))
                {
                    if (id.Kind == PrincipalKind.LocalUser)
                    {
                        return true;
                    }

                    external = true;
                }
            }
        }

        return !external;
    }

    /// <summary>The User whose <c>principalIds</c> hold <paramref name="principal"/>, or null.</summary>
    public JsonObject? FindByPrincipal(PrincipalId principal)
    {
        string wanted = principal.ToString();
        foreach (JsonObject user in All())
        {
            if (user["principalIds"] is JsonArray principals && principals.Any(p => FieldRules.Text(p) == wanted))
            {
                return user;
            }
        }

        return null;
    }

    /// <summary>Every User, as stored.</summary>
    public IEnumerable<JsonObject> All()
    {
        foreach (KeyValue item in store.Range(Users.KeyPrefix).Items)
        {
            if (JsonNode.Parse(item.Value) is JsonObject user)
            {
                yield return user;
            }
        }
    }

    /// <summary>The principal of <paramref name="kind"/> a User holds, if any.</summary>
    public static PrincipalId? PrincipalOf(JsonObject user, PrincipalKind kind)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user["principalIds"] is JsonArray principals)
        {
            foreach (JsonNode? principal in principals)
            {
                if (PrincipalId.TryParse(FieldRules.Text(principal), out PrincipalId id) && id.Kind == kind)
                {
                    return id;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Brings the User of <paramref name="directoryUser"/> (<paramref name="existing"/>, or a new one) in line with
    /// the directory: names, groups, DN; a user the directory had disabled is enabled again. Nothing is written
    /// when nothing changed. Returns the User as stored.
    /// </summary>
    public Task<JsonObject> SyncAsync(LdapUser directoryUser, JsonObject? existing)
    {
        ArgumentNullException.ThrowIfNull(directoryUser);
        PrincipalKind[] groupKinds = directoryUser.Principal.Kind == PrincipalKind.ActiveDirectoryUser ? [PrincipalKind.ActiveDirectoryGroup] : [PrincipalKind.OpenLdapGroup];
        return SyncAsync(new Profile(directoryUser.Principal, directoryUser.LoginName, directoryUser.DisplayName,
            directoryUser.Groups.Select(g => g.Principal.ToString()), groupKinds, directoryUser.DistinguishedName), existing);
    }

    /// <summary>
    /// The same for a GitHub user: <c>username</c> its current login, <c>displayName</c> its profile name, and
    /// <c>groupPrincipalIds</c> the orgs and teams GitHub listed as the user's (refreshed at each sign-in).
    /// </summary>
    public Task<JsonObject> SyncAsync(GitHubIdentity identity, JsonObject? existing)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return SyncAsync(new Profile(identity.Principal, identity.Login, identity.DisplayName,
            identity.Groups.Select(g => g.Principal.ToString()), GitHubGroupKinds, null), existing);
    }

    /// <summary>The kinds of group principal GitHub gives its users.</summary>
    public static readonly PrincipalKind[] GitHubGroupKinds = [PrincipalKind.GitHubOrg, PrincipalKind.GitHubTeam];

    /// <summary>
    /// Adds <paramref name="identity"/>'s principal to the local user <paramref name="userId"/> (Rancher's "set
    /// principal on current user") and gives it the identity's groups; returns the User as stored.
    /// </summary>
    public async Task<JsonObject> LinkAsync(string userId, GitHubIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var profile = new Profile(identity.Principal, identity.Login, identity.DisplayName,
            identity.Groups.Select(g => g.Principal.ToString()), GitHubGroupKinds, null);
        return await engine.ReplaceAsync(Users, null, userId, stored =>
        {
            JsonArray principals = stored["principalIds"] as JsonArray ?? [];
            stored["principalIds"] = principals;
            if (!principals.Any(p => FieldRules.Text(p) == identity.Principal.ToString()))
            {
                principals.Add((JsonNode)identity.Principal.ToString());
            }

            return Apply(stored, profile);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops the groups of <paramref name="groupKinds"/> from a user that stays (a local account that also holds a
    /// provider's principal, when that provider stops vouching for it); nothing is written when it has none.
    /// </summary>
    public async Task DropGroupsAsync(JsonObject user, IReadOnlyCollection<PrincipalKind> groupKinds)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(groupKinds);
        if (!Strings(user["groupPrincipalIds"]).Any(group => IsOfKinds(group, groupKinds)))
        {
            return;
        }

        await engine.ReplaceAsync(Users, null, FieldRules.Text(user["metadata"]?["name"])!, stored =>
        {
            stored["groupPrincipalIds"] = ToArray(Strings(stored["groupPrincipalIds"]).Where(group => !IsOfKinds(group, groupKinds)));
            return stored;
        }).ConfigureAwait(false);
    }

    private async Task<JsonObject> SyncAsync(Profile profile, JsonObject? existing)
    {
        if (existing is null)
        {
            string id = await CreateAsync(_ => Apply(new JsonObject
            {
                ["principalIds"] = new JsonArray((JsonNode)profile.Principal.ToString()),
                ["enabled"] = true,
            }, profile)).ConfigureAwait(false);
            return engine.Find(Users, null, id)!;
        }

        string name = FieldRules.Text(existing["metadata"]?["name"])!;
        JsonObject desired = Apply(existing.DeepClone().AsObject(), profile);
        return JsonNode.DeepEquals(desired, existing)
            ? existing
            : await engine.ReplaceAsync(Users, null, name, stored => Apply(stored, profile)).ConfigureAwait(false);
    }

    /// <summary>Empties the user's groups and disables it (which revokes its tokens at once), saying why; a user already disabled keeps its reason.</summary>
    public async Task DisableAsync(JsonObject user, string reason)
    {
        ArgumentNullException.ThrowIfNull(user);
        string name = FieldRules.Text(user["metadata"]?["name"])!;
        if (IsDisabled(user) && user["groupPrincipalIds"] is null or JsonArray { Count: 0 })
        {
            return;
        }

        await engine.ReplaceAsync(Users, null, name, stored =>
        {
            stored["groupPrincipalIds"] = new JsonArray();
            if (!IsDisabled(stored))
            {
                stored["enabled"] = false;
                Annotations(stored)[DisabledByDirectoryAnnotation] = reason;
            }

            return stored;
        }).ConfigureAwait(false);
    }

    public static bool IsDisabled(JsonObject user)
        => user?["enabled"] is JsonValue enabled && enabled.GetValueKind() == JsonValueKind.False;

    private static JsonObject Apply(JsonObject user, Profile profile)
    {
        if (!IsLocalAccount(user))
        {
            user["username"] = profile.LoginName;
            user["displayName"] = profile.DisplayName;
        }

        // The provider's groups are replaced; what other providers gave the user stays.
        user["groupPrincipalIds"] = ToArray(Strings(user["groupPrincipalIds"]).Where(group => !IsOfKinds(group, profile.GroupKinds)).Concat(profile.Groups));
        if (profile.DistinguishedName is not null)
        {
            Annotations(user)[DistinguishedNameAnnotation] = profile.DistinguishedName;
        }

        // Looked up, not created: a GitHub user has no annotations, and an empty object would make every sign-in a write.
        if (user["metadata"]?["annotations"] is JsonObject annotations && annotations.Remove(DisabledByDirectoryAnnotation))
        {
            user["enabled"] = true;
        }

        return user;
    }

    /// <summary>What a provider says of one of its users (<see cref="GroupKinds"/>: the kinds of group it gives); <see cref="DistinguishedName"/> only from a directory.</summary>
    private sealed record Profile(PrincipalId Principal, string LoginName, string DisplayName, IEnumerable<string> Groups, IReadOnlyCollection<PrincipalKind> GroupKinds, string? DistinguishedName);

    private static bool IsOfKinds(string group, IReadOnlyCollection<PrincipalKind> kinds)
        => PrincipalId.TryParse(group, out PrincipalId id) && kinds.Contains(id.Kind);

    private static IEnumerable<string> Strings(JsonNode? list)
        => list is JsonArray array ? array.Select(FieldRules.Text).OfType<string>() : [];

    private static JsonArray ToArray(IEnumerable<string> groups)
    {
        var array = new JsonArray();
        foreach (string group in groups.Distinct().Order(StringComparer.Ordinal))
        {
            array.Add((JsonNode)group);
        }

        return array;
    }

    private static JsonObject Annotations(JsonObject user)
    {
        JsonObject metadata = user["metadata"] as JsonObject ?? [];
        user["metadata"] = metadata;
        JsonObject annotations = metadata["annotations"] as JsonObject ?? [];
        metadata["annotations"] = annotations;
        return annotations;
    }
}
