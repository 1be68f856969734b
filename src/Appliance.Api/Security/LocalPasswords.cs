using System.Text.Json.Nodes;
using Appliance.Auth;

namespace Appliance.Api.Security;

/// <summary>
/// Local users' password hashes (PBKDF2, <see cref="PasswordHasher"/>), each in a Secret
/// <c>appliance-system/password-{userId}</c>: encrypted at rest like every Secret, so a copied database
/// cannot even be cracked offline, and out of the User object that many may read.
/// </summary>
public sealed class LocalPasswords(ResourceEngine engine, PasswordHasher hasher)
{
    public const string SystemNamespace = "appliance-system";

    private const string HashField = "hash";

    // Verified against when the user has no password, so "no such user" costs what a wrong password costs.
    private readonly Lazy<string> _decoy = new(() => hasher.Hash("decoy-" + Guid.NewGuid()));

    private ResourceDefinition Secrets => engine.Registry.Find("", "v1", "secrets")!;

    /// <summary>Sets (or replaces, in one compare-and-swap: never a moment without a password) a user's password.</summary>
    public async Task SetAsync(string userId, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        // On the pool: 150 ms of PBKDF2 must not hold a socket thread (see Appliance.Proxy's SocketThreadScheduling).
        string hash = await Task.Run(() => hasher.Hash(password)).ConfigureAwait(false);
        if (engine.Find(Secrets, SystemNamespace, SecretName(userId)) is not null)
        {
            await engine.ReplaceAsync(Secrets, SystemNamespace, SecretName(userId), secret =>
            {
                secret["stringData"] = new JsonObject { [HashField] = hash };
                return secret;
            }).ConfigureAwait(false);
            return;
        }

        var created = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = SecretName(userId),
                ["labels"] = new JsonObject { ["management.appliance.io/password-of"] = userId },
            },
            ["type"] = "management.appliance.io/password",
            ["stringData"] = new JsonObject { [HashField] = hash },
        };
        await engine.CreateAsync(Secrets, SystemNamespace, created, dryRun: false).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="password"/> is the user's; a hash made with weaker parameters is replaced.</summary>
    public async Task<bool> VerifyAsync(string? userId, string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        JsonObject? secret = userId is null ? null : engine.Find(Secrets, SystemNamespace, SecretName(userId));
        string? encoded = secret?["data"]?[HashField] is JsonValue data && data.TryGetValue(out string? base64)
            ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64))
            : null;
        PasswordVerification result = await Task.Run(() => hasher.Verify(encoded ?? _decoy.Value, password)).ConfigureAwait(false);
        if (encoded is null || result == PasswordVerification.Failed)
        {
            return false;
        }

        if (result == PasswordVerification.SuccessRehashNeeded)
        {
            await SetAsync(userId!, password).ConfigureAwait(false);
        }

        return true;
    }

    private static string SecretName(string userId) => "password-" + userId;
}
