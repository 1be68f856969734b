using System.Net;
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Appliance.Tests;

public class ServerEndpointTests(RunningServer server) : IClassFixture<RunningServer>
{
    [Theory]
    [InlineData("/healthz")]
    [InlineData("/livez")]
    [InlineData("/readyz")]
    public async Task HealthEndpoint_AnswersOkOverTlsTrustingOnlyTheGeneratedCa(string path)
    {
        using HttpClient client = server.Process.CreateClient();
        using HttpResponseMessage response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ReadyzVerbose_ListsEachPartThatGatesReadiness()
    {
        using HttpClient client = server.Process.CreateClient();
        string body = await client.GetStringAsync("/readyz?verbose");
        Assert.Contains("[+]server ok", body, StringComparison.Ordinal);
        Assert.Contains("[+]store ok", body, StringComparison.Ordinal);
        Assert.EndsWith("readyz check passed\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_IsKubernetesShapedWithTheApplianceVersionInGitVersion()
    {
        using HttpClient client = server.Process.CreateClient();
        using HttpResponseMessage response = await client.GetAsync("/version");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement root = document.RootElement;
        Assert.Equal("1", root.GetProperty("major").GetString());
        Assert.Equal("32", root.GetProperty("minor").GetString());
        Assert.Matches(@"^v1\.32\.0-appliance\.\d+\.\d+\.\d+", root.GetProperty("gitVersion").GetString());
        Assert.Contains(root.GetProperty("platform").GetString(), new[] { "linux/amd64", "linux/arm64" });
    }

    [Fact]
    public async Task VersionAppliance_IsJsonWithVersionCommitBuildDateAndPlatform()
    {
        using HttpClient client = server.Process.CreateClient();
        using HttpResponseMessage response = await client.GetAsync("/version/appliance");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement root = document.RootElement;
        Assert.Matches(@"^\d+\.\d+\.\d+", root.GetProperty("version").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("commit").GetString()));
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("buildDate").GetString(), out _));
        Assert.Equal("linux", root.GetProperty("os").GetString());
        Assert.Contains(root.GetProperty("arch").GetString(), new[] { "amd64", "arm64" });
    }

    [Fact]
    public async Task Tls_OffersOnlyHttp11ByAlpn_SoKubectlSpeaksHttp11ToTheProxy()
    {
        using HttpClient client = server.Process.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/readyz") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower };
        using HttpResponseMessage response = await client.SendAsync(request);
        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UnknownPath_Is404()
    {
        using HttpClient client = server.Process.CreateClient();
        using HttpResponseMessage response = await client.GetAsync("/no/such/thing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ServingCertificate_IsEcdsaP256WithHostnameLoopbackAndExtraNames()
    {
        X509Certificate2? served = null;
        using HttpClient client = server.Process.CreateClient(certificate => served = certificate);
        (await client.GetAsync("/livez")).Dispose();

        Assert.NotNull(served);
        Assert.Equal("1.2.840.10045.2.1", served.PublicKey.Oid.Value); // id-ecPublicKey
        using (var key = served.GetECDsaPublicKey()!)
        {
            Assert.Equal(256, key.KeySize);
        }

        var san = Assert.Single(served.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        var dnsNames = san.EnumerateDnsNames().ToList();
        var addresses = san.EnumerateIPAddresses().ToList();
        Assert.Contains(Dns.GetHostName().ToLowerInvariant(), dnsNames);
        Assert.Contains(RunningServer.ExtraDnsName, dnsNames);
        Assert.Contains(IPAddress.Loopback, addresses);
        Assert.Contains(IPAddress.IPv6Loopback, addresses);
        Assert.Contains(IPAddress.Parse(RunningServer.ExtraIPAddress), addresses);
        Assert.Equal(server.Process.CertificateAuthority.Subject, served.Issuer);
    }

    [Fact]
    public void Store_IsOneSqliteFileInTheDataDir()
    {
        string database = Path.Combine(server.Process.DataDir, "state.db");
        Assert.True(File.Exists(database));
        Assert.Equal("SQLite format 3\0", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(database), 0, 16));
    }

    [Fact]
    public void PrivateKeys_AreReadableByTheOwnerOnly()
    {
        foreach (string key in new[] { "ca.key", "serving.key" })
        {
            UnixFileMode mode = File.GetUnixFileMode(Path.Combine(server.Process.DataDir, "tls", key));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }
    }
}
