using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth.GitHub;
using static Appliance.Api.FieldRules;

namespace Appliance.Api.Security;

/// <summary>
/// The GitHub fields of the AuthConfig <c>github</c>, named as Rancher's githubConfig names them, beside the common
/// <c>enabled</c>, <c>accessMode</c> and <c>allowedPrincipalIds</c> (<c>github_user://</c>, <c>github_org://</c>,
/// <c>github_team://</c> principals): <c>hostname</c> (<c>github.com</c>, the default, or a GitHub Enterprise Server
/// host with an optional port), <c>clientId</c> (the OAuth app's), <c>clientSecretSecretRef</c> {namespace
/// <c>appliance-system</c>, name, key <c>clientSecret</c>} (the secret itself is never in the object, as the LDAP
/// service-account password), and <c>certificate</c> (CA PEM for an Enterprise Server behind a private CA).
/// </summary>
public static class GitHubAuthConfig
{
    public const string Name = "github";
    public const string SecretRefField = "clientSecretSecretRef";
    public const string SecretField = "clientSecret";
    public const string DefaultSecretKey = "clientSecret";

    // Only to check one field of GitHubSettings at a time: its rules stay in one place.
    private const string Placeholder = "placeholder";

    /// <summary>
    /// Adds a cause for every GitHub field of the wrong type or value; when the config is enabled, also for a
    /// missing client id or secret reference. Called from the AuthConfig write rules.
    /// </summary>
    public static void Validate(JsonObject config, List<ApiStatusCause> causes)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(causes);
        bool enabled = config["enabled"] is JsonValue flag && flag.GetValueKind() == JsonValueKind.True;
        if (config[SecretField] is not null)
        {
            causes.Add(Invalid(SecretField, $"the client secret is not stored in the AuthConfig: put it in a Secret in {LocalPasswords.SystemNamespace} and name it in {SecretRefField}"));
        }

        if (config["hostname"] is JsonNode hostname
            && (Text(hostname) is not string host || FirstProblem(new GitHubSettings { ClientId = Placeholder, ClientSecret = Placeholder, Hostname = host }) is not null))
        {
            causes.Add(Invalid("hostname", "must be github.com or a GitHub Enterprise Server host name with an optional :port, without https:// or a path"));
        }

        if (config["clientId"] is JsonNode clientId)
        {
            if (Text(clientId) is not string id || FirstProblem(new GitHubSettings { ClientId = id, ClientSecret = Placeholder }) is not null)
            {
                causes.Add(Invalid("clientId", "must be the OAuth app's client id (letters, digits, '.', '-', '_')"));
            }
        }
        else if (enabled)
        {
            causes.Add(Required("clientId"));
        }

        if (config["certificate"] is JsonNode certificate && (Text(certificate) is not string pem || !DirectoryAuthConfig.HoldsCertificates(pem)))
        {
            causes.Add(Invalid("certificate", "must be the PEM of one or more CA certificates"));
        }

        if (config[SecretRefField] is JsonNode reference)
        {
            if (reference is not JsonObject || (reference["namespace"] is not null && Text(reference["namespace"]) != LocalPasswords.SystemNamespace))
            {
                causes.Add(Invalid(SecretRefField + ".namespace", $"the Secret must be in {LocalPasswords.SystemNamespace}, where only administrators read"));
            }

            if (Text(reference["name"]) is not string name || NameValidation.Validate(name, NameRule.DnsSubdomain) is not null)
            {
                causes.Add(Invalid(SecretRefField + ".name", "must name a Secret"));
            }

            if (reference["key"] is JsonNode key && string.IsNullOrEmpty(Text(key)))
            {
                causes.Add(Invalid(SecretRefField + ".key", "must be a key of the Secret's data"));
            }
        }
        else if (enabled)
        {
            causes.Add(Required(SecretRefField));
        }
    }

    /// <summary>The Secret (in <c>appliance-system</c>) and the key of its data that hold the client secret.</summary>
    public static (string Name, string Key)? SecretRef(JsonObject config)
        => config?[SecretRefField] is JsonObject reference && Text(reference["name"]) is string name
            ? (name, Text(reference["key"]) ?? DefaultSecretKey)
            : null;

    /// <summary>The engine's settings for a valid config and its client secret.</summary>
    public static GitHubSettings ToSettings(JsonObject config, string clientSecret)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new GitHubSettings
        {
            ClientId = Text(config["clientId"]) ?? "",
            ClientSecret = clientSecret,
            Hostname = Text(config["hostname"]) is { Length: > 0 } host ? host : GitHubSettings.GitHubComHostname,
            CaCertificatesPem = Text(config["certificate"]),
        };
    }

    private static string? FirstProblem(GitHubSettings settings) => settings.Validate() is { Count: > 0 } problems ? problems[0] : null;
}
