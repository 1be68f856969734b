using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth.GitHub;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// The GitHub provider as its AuthConfig <c>github</c> and client-secret Secret say now. One <see cref="GitHubOAuth"/>
/// (and its HTTP client, whose pooled connections to GitHub are worth keeping) is kept while neither object changes;
/// a changed config or secret takes effect at the next sign-in. Replaced clients are disposed at shutdown, since a
/// sign-in may still be using one.
/// </summary>
public sealed class GitHubProviders(ResourceEngine engine, ILoggerFactory loggerFactory) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<HttpClient> _retired = [];
    private (GitHubProvider Provider, HttpClient Http)? _current;

    /// <summary>The stored AuthConfig <c>github</c>, or null.</summary>
    public JsonObject? Config() => engine.Find(AuthConfigs, null, GitHubAuthConfig.Name);

    /// <summary>
    /// The enabled provider, ready to sign users in; null when it is not enabled (<paramref name="problem"/> null) or
    /// cannot work as configured (<paramref name="problem"/> says why, for an administrator).
    /// </summary>
    public GitHubProvider? Find(out string? problem)
    {
        problem = null;
        JsonObject? config = Config();
        if (config?["enabled"] is not JsonValue enabled || enabled.GetValueKind() != JsonValueKind.True)
        {
            return null;
        }

        if (ReadSecret(config, out problem) is not (string secret, string secretVersion))
        {
            return null;
        }

        string version = FieldRules.Text(config["metadata"]?["resourceVersion"]) + "/" + secretVersion;
        lock (_lock)
        {
            if (_current is { } cached && cached.Provider.Version == version)
            {
                return cached.Provider;
            }
        }

        GitHubSettings settings = GitHubAuthConfig.ToSettings(config, secret);
        if (settings.Validate() is { Count: > 0 } problems)
        {
            problem = string.Join(" ", problems);
            return null;
        }

        HttpClient http = GitHubHttp.CreateHttpClient(settings);
        var created = new GitHubProvider(config, new GitHubOAuth(settings, http, loggerFactory.CreateLogger<GitHubOAuth>()), version);
        lock (_lock)
        {
            if (_current is { } raced && raced.Provider.Version == version)
            {
                http.Dispose();
                return raced.Provider;
            }

            if (_current is { } replaced)
            {
                _retired.Add(replaced.Http);
            }

            _current = (created, http);
            return created;
        }
    }

    /// <summary>The client secret the config's Secret holds, with the Secret's resource version; null with the reason when it is missing.</summary>
    public (string Secret, string Version)? ReadSecret(JsonObject config, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(config);
        problem = null;
        if (GitHubAuthConfig.SecretRef(config) is not (string name, string key))
        {
            problem = $"{GitHubAuthConfig.SecretRefField} is not set";
            return null;
        }

        JsonObject? stored = engine.Find(engine.Registry.Find("", "v1", "secrets")!, LocalPasswords.SystemNamespace, name);
        if (stored?["data"]?[key] is not JsonValue data || !data.TryGetValue(out string? base64))
        {
            problem = $"the Secret {LocalPasswords.SystemNamespace}/{name} does not exist or has no key \"{key}\"";
            return null;
        }

        return (Encoding.UTF8.GetString(Convert.FromBase64String(base64)), FieldRules.Text(stored["metadata"]?["resourceVersion"]) ?? "");
    }

    private ResourceDefinition AuthConfigs => engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "authconfigs")!;

    public void Dispose()
    {
        lock (_lock)
        {
            _current?.Http.Dispose();
            _current = null;
            foreach (HttpClient http in _retired)
            {
                http.Dispose();
            }

            _retired.Clear();
        }
    }
}

/// <summary>The enabled GitHub provider: its AuthConfig as read and the OAuth client built from it and its secret (<see cref="Version"/> names both revisions).</summary>
public sealed record GitHubProvider(JsonObject Config, GitHubOAuth OAuth, string Version);
