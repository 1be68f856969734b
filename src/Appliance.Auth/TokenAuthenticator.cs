using System.Globalization;
using System.Text.Json;
using Appliance.Store;

namespace Appliance.Auth;

/// <summary>
/// Resolves <c>token-xxxxx:SECRET</c> to its user by reading the Token and User objects from the store
/// (management.appliance.io/v1, stored by the API under the keys below): the secret's HMAC is compared in
/// constant time, expiry, the user's <c>enabled</c> flag and, for a token issued through an external provider
/// (its <c>authProvider</c>; without one, the provider of a user that holds no local principal), that provider's
/// AuthConfig <c>enabled</c> flag are checked on every call, so deleting a
/// Token, disabling a User or disabling a provider (as Rancher refuses such tokens) takes effect on the next request. Each success is a use of the token, marked in
/// <see cref="Usage"/> (in memory; written to the Token later, off the request path).
/// </summary>
public sealed class TokenAuthenticator(KeyValueStore store, TokenHasher hasher, TimeProvider timeProvider, TokenUsage? usage = null)
{
    public const string TokenKeyPrefix = "/registry/management.appliance.io/tokens/";
    public const string UserKeyPrefix = "/registry/management.appliance.io/users/";
    public const string AuthConfigKeyPrefix = "/registry/management.appliance.io/authconfigs/";

    /// <summary>The provider of a token without <c>authProvider</c>, which no AuthConfig can disable.</summary>
    public const string LocalProvider = "local";

    /// <summary>The tokens' last uses, marked here and by callers that cache this authenticator's answers.</summary>
    public TokenUsage Usage { get; } = usage ?? new TokenUsage(timeProvider);

    public TokenAuthenticationStatus Authenticate(string credential, out AuthenticatedUser? user)
    {
        user = null;
        if (!ApiToken.TryParse(credential, out ApiToken token))
        {
            return TokenAuthenticationStatus.Malformed;
        }

        GetResult stored = store.Get(TokenKeyPrefix + token.Name);
        if (stored.Item is null)
        {
            return TokenAuthenticationStatus.UnknownToken;
        }

        using JsonDocument tokenObject = JsonDocument.Parse(stored.Item.Value);
        JsonElement root = tokenObject.RootElement;
        Span<byte> expected = stackalloc byte[TokenHasher.HashBytes + 3];
        if (!Convert.TryFromBase64String(StringOf(root, "hash") ?? "", expected, out int length)
            || length != TokenHasher.HashBytes
            || !hasher.Verify(token.Secret, expected[..length]))
        {
            return TokenAuthenticationStatus.WrongSecret;
        }

        string? expiresAt = StringOf(root, "expiresAt");
        if (expiresAt is not null
            && (!DateTimeOffset.TryParse(expiresAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset expiry)
                || expiry <= timeProvider.GetUtcNow()))
        {
            return TokenAuthenticationStatus.Expired;
        }

        string userId = StringOf(root, "userId") ?? "";
        GetResult storedUser = userId.Length == 0 ? default : store.Get(UserKeyPrefix + userId);
        if (storedUser.Item is null)
        {
            return TokenAuthenticationStatus.UnknownUser;
        }

        using JsonDocument userObject = JsonDocument.Parse(storedUser.Item.Value);
        JsonElement userRoot = userObject.RootElement;
        if (userRoot.TryGetProperty("enabled", out JsonElement enabled) && enabled.ValueKind == JsonValueKind.False)
        {
            return TokenAuthenticationStatus.UserDisabled;
        }

        List<string> principals = Strings(userRoot, "principalIds");
        // A token from before tokens named their provider: a user only a provider knows came through that provider.
        string provider = StringOf(root, "authProvider") ?? ExternalProviderOf(principals) ?? LocalProvider;
        if (provider != LocalProvider && !ProviderEnabled(provider))
        {
            return TokenAuthenticationStatus.ProviderDisabled;
        }

        // Group memberships as the provider last reported them (refreshed at login): RBAC and the proxy see these.
        List<string> groups = Strings(userRoot, "groupPrincipalIds");
        string displayName = StringOf(userRoot, "displayName") ?? StringOf(userRoot, "username") ?? userId;
        user = new AuthenticatedUser(userId, displayName, principals, groups, token.Name);
        Usage.MarkUsed(token.Name);
        return TokenAuthenticationStatus.Authenticated;
    }

    /// <summary>The provider of a user that holds no local principal, from its external one; null for a local account.</summary>
    private static string? ExternalProviderOf(List<string> principals)
    {
        string? provider = null;
        foreach (string value in principals)
        {
            if (!PrincipalId.TryParse(value, out PrincipalId principal))
            {
                continue;
            }

            switch (principal.Kind)
            {
                case PrincipalKind.LocalUser:
                    return null;
                case PrincipalKind.OpenLdapUser:
                    provider ??= "openldap";
                    break;
                case PrincipalKind.ActiveDirectoryUser:
                    provider ??= "activedirectory";
                    break;
                case PrincipalKind.GitHubUser:
                    provider ??= "github";
                    break;
            }
        }

        return provider;
    }

    private bool ProviderEnabled(string provider)
    {
        GetResult config = store.Get(AuthConfigKeyPrefix + provider);
        if (config.Item is null)
        {
            return false;
        }

        using JsonDocument document = JsonDocument.Parse(config.Item.Value);
        return document.RootElement.TryGetProperty("enabled", out JsonElement enabled) && enabled.ValueKind == JsonValueKind.True;
    }

    private static List<string> Strings(JsonElement obj, string property)
    {
        var values = new List<string>();
        if (obj.TryGetProperty(property, out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in list.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    values.Add(item.GetString()!);
                }
            }
        }

        return values;
    }

    private static string? StringOf(JsonElement obj, string property)
        => obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
