using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// The directory providers (<c>openldap</c>, <c>activedirectory</c>) as their AuthConfig and its password Secret
/// say now. Each enabled one keeps one <see cref="LdapAuthenticator"/> while neither object changes: it holds the
/// CA bundle on disk and bounds the threads a hanging directory can tie up, which only works if logins share it.
/// A changed config or password takes effect at the next login.
/// </summary>
public sealed class DirectoryProviders(ResourceEngine engine, ILoggerFactory loggerFactory, TimeProvider timeProvider) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DirectoryProvider> _current = new(StringComparer.Ordinal);
    private readonly List<LdapAuthenticator> _retired = [];

    /// <summary>The stored AuthConfig of <paramref name="provider"/>, or null.</summary>
    public JsonObject? Config(string provider) => engine.Find(AuthConfigs, null, provider);

    /// <summary>
    /// The enabled provider ready to log users in; null when it is not enabled (<paramref name="problem"/> null)
    /// or cannot work as configured (<paramref name="problem"/> says why, for an administrator).
    /// </summary>
    public DirectoryProvider? Find(string provider, out string? problem)
    {
        problem = null;
        JsonObject? config = Config(provider);
        if (config?["enabled"] is not JsonValue enabled || enabled.GetValueKind() != JsonValueKind.True)
        {
            return null;
        }

        if (ReadPassword(config, out problem) is not (string password, string secretVersion))
        {
            return null;
        }

        string version = FieldRules.Text(config["metadata"]?["resourceVersion"]) + "/" + secretVersion;
        lock (_lock)
        {
            if (_current.TryGetValue(provider, out DirectoryProvider? cached) && cached.Version == version)
            {
                return cached;
            }
        }

        LdapSettings settings = DirectoryAuthConfig.ToSettings(provider, config, password);
        if (settings.Validate() is { Count: > 0 } problems)
        {
            problem = string.Join(" ", problems);
            return null;
        }

        var created = new DirectoryProvider(provider, config, new LdapAuthenticator(settings, loggerFactory.CreateLogger<LdapAuthenticator>(), timeProvider), version);
        lock (_lock)
        {
            if (_current.TryGetValue(provider, out DirectoryProvider? raced) && raced.Version == version)
            {
                created.Authenticator.Dispose();
                return raced;
            }

            if (raced is not null)
            {
                // Logins may still be running on it: it is disposed with the rest at shutdown.
                _retired.Add(raced.Authenticator);
            }

            _current[provider] = created;
            return created;
        }
    }

    /// <summary>
    /// The service-account password the config's Secret holds, with the Secret's resource version; null with the
    /// reason when the reference, the Secret or its key is missing.
    /// </summary>
    public (string Password, string Version)? ReadPassword(JsonObject config, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(config);
        problem = null;
        if (DirectoryAuthConfig.SecretRef(config) is not (string name, string key))
        {
            problem = $"{DirectoryAuthConfig.SecretRefField} is not set";
            return null;
        }

        JsonObject? secret = engine.Find(Secrets, LocalPasswords.SystemNamespace, name);
        if (secret?["data"]?[key] is not JsonValue data || !data.TryGetValue(out string? base64))
        {
            problem = $"the Secret {LocalPasswords.SystemNamespace}/{name} does not exist or has no key \"{key}\"";
            return null;
        }

        return (Encoding.UTF8.GetString(Convert.FromBase64String(base64)), FieldRules.Text(secret["metadata"]?["resourceVersion"]) ?? "");
    }

    private ResourceDefinition AuthConfigs => engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "authconfigs")!;

    private ResourceDefinition Secrets => engine.Registry.Find("", "v1", "secrets")!;

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (DirectoryProvider provider in _current.Values)
            {
                provider.Authenticator.Dispose();
            }

            foreach (LdapAuthenticator authenticator in _retired)
            {
                authenticator.Dispose();
            }

            _current.Clear();
            _retired.Clear();
        }
    }
}
