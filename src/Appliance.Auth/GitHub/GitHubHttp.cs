using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Auth.GitHub;

/// <summary>The HTTP client a <see cref="GitHubOAuth"/> should get in production.</summary>
public static class GitHubHttp
{
    /// <summary>
    /// A handler that trusts <see cref="GitHubSettings.CaCertificatesPem"/> when set (else the system
    /// store; host names are verified either way), never follows redirects (the token exchange's body
    /// holds the client secret and must go only where it was addressed) and keeps no cookies.
    /// A test may set its <see cref="SocketsHttpHandler.ConnectCallback"/> to reach a fake.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(GitHubSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = settings.Timeout,
            // Reconnect now and then so a changed DNS answer for GitHub is picked up.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate | DecompressionMethods.Brotli,
        };

        if (settings.CaCertificatesPem is { } pem)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPem(pem);
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                // A private CA rarely publishes revocation lists; checking would fail every chain.
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(roots);
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        return handler;
    }

    /// <summary>
    /// A client over <paramref name="handler"/> (default <see cref="CreateHandler"/>). Its own timeout is off:
    /// <see cref="GitHubOAuth"/> bounds every exchange by <see cref="GitHubSettings.Timeout"/> itself.
    /// </summary>
    public static HttpClient CreateHttpClient(GitHubSettings settings, HttpMessageHandler? handler = null)
        => new(handler ?? CreateHandler(settings), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
}
