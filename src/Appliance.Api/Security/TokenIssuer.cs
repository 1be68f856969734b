using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;

namespace Appliance.Api.Security;

/// <summary>
/// Creates Token objects: a fresh <c>token-xxxxx:SECRET</c> whose HMAC alone is stored. The only place a
/// secret exists in clear is the value returned to the caller, who hands it to the user once.
/// </summary>
public sealed class TokenIssuer(ResourceEngine engine, KeyValueStore store, TokenHasher hasher, TimeProvider timeProvider)
{
    public async Task<ApiToken> IssueAsync(string userId, string type, string description, TimeSpan? lifetime, IReadOnlyDictionary<string, string>? labels = null)
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
