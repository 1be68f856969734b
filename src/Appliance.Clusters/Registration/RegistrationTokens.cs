using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Api;

namespace Appliance.Clusters.Registration;

/// <summary>
/// The token an agent cluster is registered and connected with: <c>{clusterId}:{secret}</c>, 256 random bits,
/// kept in the encrypted Secret <c>appliance-system/registration-{clusterId}</c> (<c>data.token</c>, and
/// <c>data.expiresAt</c> when it expires). Deleting the Secret revokes it; a new one is made for the cluster.
/// The cluster id in the token only says which Secret to compare with; the comparison is constant-time.
/// </summary>
public sealed class RegistrationTokens(ServerObjects objects, TimeProvider time)
{
    public const string SecretType = "appliance.io/registration";

    public static string SecretName(string clusterId) => "registration-" + clusterId;

    /// <summary>Makes the cluster's token unless it has one; returns the token.</summary>
    public async Task<string> EnsureAsync(string clusterId)
    {
        if (ReadToken(clusterId) is { } existing)
        {
            return existing.Token;
        }

        string token = clusterId + ":" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var secret = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = SecretName(clusterId),
                ["labels"] = new JsonObject { ["management.appliance.io/cluster"] = clusterId },
            },
            ["type"] = SecretType,
            ["data"] = new JsonObject { ["token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(token)) },
        };
        try
        {
            await objects.CreateAsync("", "secrets", ObjectNames.SystemNamespace, secret).ConfigureAwait(false);
            return token;
        }
        catch (ApiException e) when (e.Status.Code == 409 && ReadToken(clusterId) is { } made)
        {
            // Made concurrently by another reconcile: that one is the token.
            return made.Token;
        }
    }

    /// <summary>The cluster a presented token registers, or why it is refused (a sentence for the log and the agent).</summary>
    public RegistrationCheck Check(string? presented)
    {
        int colon = presented?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (presented is null || colon <= 0)
        {
            return RegistrationCheck.Refused("the registration token is malformed (expected CLUSTER:SECRET)");
        }

        string clusterId = presented[..colon];
        if (!IsClusterId(clusterId))
        {
            return RegistrationCheck.Refused("the registration token is malformed (expected CLUSTER:SECRET)");
        }

        StoredToken? stored = ReadToken(clusterId);
        if (stored is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(stored.Token), Encoding.UTF8.GetBytes(presented)))
        {
            // One answer for an unknown cluster, a wrong secret and a revoked token: none of them says which ids exist.
            return RegistrationCheck.Refused("the registration token is wrong or was revoked");
        }

        if (stored.ExpiresAt is { } expiresAt && expiresAt <= time.GetUtcNow())
        {
            return RegistrationCheck.Refused($"the registration token of cluster {clusterId} expired at {expiresAt:yyyy-MM-ddTHH:mm:ssZ}");
        }

        JsonObject? cluster = objects.Get(ObjectNames.ManagementGroup, "clusters", null, clusterId);
        if (cluster is null || cluster["metadata"]?["deletionTimestamp"] is not null)
        {
            return RegistrationCheck.Refused($"cluster {clusterId} no longer exists");
        }

        if (cluster["spec"]?["type"]?.GetValue<string>() != "agent")
        {
            return RegistrationCheck.Refused($"cluster {clusterId} is not an agent cluster");
        }

        return new RegistrationCheck(clusterId, null);
    }

    private StoredToken? ReadToken(string clusterId)
    {
        JsonObject? secret = objects.Get("", "secrets", ObjectNames.SystemNamespace, SecretName(clusterId));
        if (secret?["data"] is not JsonObject data || data["token"]?.GetValue<string>() is not string encoded)
        {
            return null;
        }

        DateTimeOffset? expiresAt = null;
        if (data["expiresAt"]?.GetValue<string>() is string expiry
            && DateTimeOffset.TryParse(Encoding.UTF8.GetString(Convert.FromBase64String(expiry)), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed))
        {
            expiresAt = parsed;
        }

        return new StoredToken(Encoding.UTF8.GetString(Convert.FromBase64String(encoded)), expiresAt);
    }

    private static bool IsClusterId(string id)
    {
        if (id.Length is 0 or > 253)
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record StoredToken(string Token, DateTimeOffset? ExpiresAt);
}

/// <summary>The outcome of checking a registration token: the cluster, or why not.</summary>
public sealed record RegistrationCheck(string? ClusterId, string? Problem)
{
    public bool IsValid => ClusterId is not null;

    public static RegistrationCheck Refused(string problem) => new(null, problem);
}
