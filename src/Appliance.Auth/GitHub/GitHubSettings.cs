using System.Security.Cryptography.X509Certificates;

namespace Appliance.Auth.GitHub;

/// <summary>
/// One GitHub OAuth app: its credentials and where GitHub lives. <see cref="Hostname"/> is
/// <c>github.com</c> or a GitHub Enterprise Server host, and decides both base URLs the way
/// GitHub lays them out. Which orgs and teams may sign in is not here: the AuthConfig's access
/// mode decides that from the principals this provider returns.
/// </summary>
public sealed record GitHubSettings
{
    public const string GitHubComHostname = "github.com";

    /// <summary>Long enough for GitHub across the internet, short enough that a login form does not hang.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// 50 pages of 100 is 5,000 orgs or teams for one user: more is almost certainly a broken or
    /// hostile server, and the bound keeps one login's work finite.
    /// </summary>
    public const int DefaultMaximumPages = 50;

    public string ClientId { get; init; } = "";

    public string ClientSecret { get; init; } = "";

    /// <summary><c>github.com</c>, or a GitHub Enterprise Server host name with an optional <c>:port</c>; no scheme, no path.</summary>
    public string Hostname { get; init; } = GitHubComHostname;

    /// <summary>
    /// PEM bundle of the CA certificates that may sign GitHub's certificate (an Enterprise Server
    /// behind a private CA, or a test). When null the system trust store is used. Either way the
    /// chain and the host name are verified. Used by <see cref="GitHubHttp.CreateHandler"/>.
    /// </summary>
    public string? CaCertificatesPem { get; init; }

    /// <summary>Bounds each HTTP exchange with GitHub (connect, request, whole response).</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Pages of <c>/user/orgs</c> or <c>/user/teams</c> followed before the lookup fails.</summary>
    public int MaximumPages { get; init; } = DefaultMaximumPages;

    public bool IsGitHubCom => string.Equals(Hostname, GitHubComHostname, StringComparison.OrdinalIgnoreCase);

    /// <summary>Where browsers sign in and codes are exchanged: <c>https://github.com/</c> or <c>https://HOST/</c>.</summary>
    public Uri WebBaseUri => IsGitHubCom ? new Uri("https://github.com/") : new Uri($"https://{Hostname}/");

    /// <summary>The REST API: github.com has its own host, an Enterprise Server serves it under <c>/api/v3/</c>.</summary>
    public Uri ApiBaseUri => IsGitHubCom ? new Uri("https://api.github.com/") : new Uri($"https://{Hostname}/api/v3/");

    /// <summary>For logs and test output: the record's generated form would print the client secret.</summary>
    public override string ToString()
        => $"GitHubSettings {{ Hostname = {Hostname}, ClientId = {ClientId}, CaCertificatesPem = {(CaCertificatesPem is null ? "system" : "set")}, Timeout = {Timeout}, MaximumPages = {MaximumPages} }}";

    /// <summary>Every problem with these settings, in words an administrator can act on; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        // GitHub's client ids are short ASCII tokens ("Ov23li…", or 20 hex digits for older apps);
        // anything else is a paste accident, and the id goes into the authorize URL.
        if (ClientId.Length is 0 or > 100 || !ClientId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            problems.Add("The GitHub client id is required and is letters, digits, '.', '-' or '_' (copy it from the OAuth app's page).");
        }

        if (string.IsNullOrEmpty(ClientSecret) || ClientSecret.Length > 200 || ClientSecret.Any(char.IsControl))
        {
            problems.Add("The GitHub client secret is required (generate one on the OAuth app's page).");
        }

        if (!IsHostAndOptionalPort(Hostname))
        {
            problems.Add($"The GitHub hostname '{Hostname}' is not a host name with an optional port (e.g. github.com or github.example.com), without https:// or a path.");
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
        {
            problems.Add("The GitHub timeout must be positive and at most 5 minutes.");
        }

        if (MaximumPages is < 1 or > 1000)
        {
            problems.Add("The GitHub maximum page count must be between 1 and 1000.");
        }

        if (CaCertificatesPem is not null)
        {
            var bundle = new X509Certificate2Collection();
            try
            {
                bundle.ImportFromPem(CaCertificatesPem);
            }
            catch (System.Security.Cryptography.CryptographicException exception)
            {
                problems.Add($"The GitHub CA certificate bundle is not valid PEM: {exception.Message}");
            }

            if (bundle.Count == 0)
            {
                problems.Add("The GitHub CA certificate bundle holds no certificate.");
            }

            foreach (var certificate in bundle)
            {
                certificate.Dispose();
            }
        }

        return problems;
    }

    private static bool IsHostAndOptionalPort(string value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 260)
        {
            return false;
        }

        // Parse as the authority of an https URL and require that it round-trips unchanged, which
        // rejects schemes, paths, user info, queries and fragments in one place.
        if (!Uri.TryCreate("https://" + value + "/", UriKind.Absolute, out var uri)
            || uri.AbsolutePath != "/" || uri.UserInfo.Length != 0 || uri.Query.Length != 0 || uri.Fragment.Length != 0)
        {
            return false;
        }

        // Uri.Authority leaves out the default port, so an explicit ":443" is compared without it.
        var withoutDefaultPort = value.EndsWith(":443", StringComparison.Ordinal) ? value[..^4] : value;
        return string.Equals(uri.Authority, withoutDefaultPort, StringComparison.OrdinalIgnoreCase)
               && uri.HostNameType is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6;
    }
}
