using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;

namespace Appliance.Api.Security;

/// <summary>
/// Creates Token objects: a fresh <c>token-xxxxx:SECRET</c> whose HMAC alone is stored. The only place a
/// secret exists in clear is the value returned to the caller, who hands it to the user once. A token remembers the
/// provider its user signed in through (<c>authProvider</c>; a token made with another token inherits it, as in
/// Rancher), so disabling that provider stops it.
/// </summary>
public sealed class TokenIssuer(ResourceEngine engine, KeyValueStore store, TokenHasher hasher, TimeProvider timeProvider)
{
    public async Task<ApiToken> IssueAsync(string userId, string type, string description, TimeSpan? lifetime, IReadOnlyDictionary<string, string>? labels = null, string? authProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ResourceDefinition tokens = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "tokens")!;
        while (true)
        {
            ApiToken token = ApiToken.Generate();
            var metadata = new JsonObject { ["name"] = token.Name };
            if (labels is not null)
            {
                var labelObject = new JsonObject();
                foreach ((string key, string value) in labels)
                {
                    labelObject[key] = value;
                }

                metadata["labels"] = labelObject;
            }

            var obj = new JsonObject
            {
                ["apiVersion"] = ResourceRegistry.ManagementGroup + "/v1",
                ["kind"] = "Token",
                ["metadata"] = metadata,
                ["userId"] = userId,
                ["hash"] = Convert.ToBase64String(hasher.Hash(token.Secret)),
                ["type"] = type,
                ["description"] = description,
            };
            if (authProvider is not null)
            {
                obj["authProvider"] = authProvider;
            }

            if (lifetime is TimeSpan ttl)
            {
                obj["expiresAt"] = (timeProvider.GetUtcNow() + ttl).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            }

            try
            {
                await engine.CreateAsync(tokens, null, obj, dryRun: false).ConfigureAwait(false);
                return token;
            }
            catch (ApiException e) when (e.Status.Reason == "AlreadyExists")
            {
                // 36^5 names: a collision is rare but possible; a new name, never a shared one.
            }
        }
    }

    /// <summary>The name of the Token a request was authenticated with; null for a caller without one (a service account).</summary>
    public static string? CallerToken(RequestUser user)
        => user?.Extra.TryGetValue("requesttokenid", out IReadOnlyList<string>? names) == true && names.Count == 1 ? names[0] : null;

    /// <summary>The provider the Token <paramref name="tokenName"/> was issued through, for the tokens it makes (none: local).</summary>
    public string AuthProviderOf(string tokenName)
    {
        GetResult stored = store.Get(TokenAuthenticator.TokenKeyPrefix + tokenName);
        return stored.Item is not null && FieldRules.Text(JsonNode.Parse(stored.Item.Value)?["authProvider"]) is string provider ? provider : LocalLogin.Provider;
    }

    /// <summary>Deletes every Token carrying label <paramref name="label"/> = <c>true</c>.</summary>
    public async Task RevokeLabelledAsync(string label)
    {
        foreach (KeyValue item in store.Range(TokenAuthenticator.TokenKeyPrefix).Items)
        {
            if (JsonNode.Parse(item.Value)?["metadata"]?["labels"]?[label]?.GetValue<string>() == "true")
            {
                // A lost race (someone else changed or deleted it) leaves nothing to revoke here.
                await store.DeleteAsync(item.Key, item.ModRevision).ConfigureAwait(false);
            }
        }
    }
}
