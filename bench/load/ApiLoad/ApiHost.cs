using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Api.Security;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Load;

/// <summary>
/// The API hosted in this process as the API tests' fixture hosts it: Kestrel on 127.0.0.1:0 over TLS, a
/// SQLite store in <c>directory</c>, the auth layer, and a token of the bootstrap admin (cluster-admin).
/// </summary>
internal sealed class ApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;

    private ApiHost(WebApplication app, X509Certificate2 certificate, Uri baseAddress, string token)
    {
        _app = app;
        _certificate = certificate;
        BaseAddress = baseAddress;
        Token = token;
    }

    public Uri BaseAddress { get; }

    public string Token { get; }

    public KeyValueStore Store => _app.Services.GetRequiredService<KeyValueStore>();

    public static async Task<ApiHost> StartAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        X509Certificate2 certificate = CreateCertificate();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        builder.Services.AddApplianceStore(options => options.DatabasePath = Path.Combine(directory, "state.db"));
        builder.Services.AddApplianceAuth(directory);
        builder.Services.AddApplianceApi();
        WebApplication app = builder.Build();
        app.MapApplianceApi();
        await app.StartAsync().ConfigureAwait(false);

        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        string adminId = app.Services.GetRequiredService<SecurityBootstrapper>().AdminUserId;
        ApiToken token = await app.Services.GetRequiredService<TokenIssuer>().IssueAsync(adminId, "apikey", "api-load", lifetime: null).ConfigureAwait(false);
        return new ApiHost(app, certificate, new Uri(address), token.ToString());
    }

    /// <summary>
    /// A client of its own HTTP/1.1 keep-alive connection (at most one: requests on it are sequential),
    /// trusting exactly this server's certificate and sending the admin token.
    /// </summary>
    public HttpClient CreateClient()
    {
        byte[] expected = _certificate.RawData;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected) },
        };
        var client = new HttpClient(handler)
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _certificate.Dispose();
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=appliance-api-load", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
