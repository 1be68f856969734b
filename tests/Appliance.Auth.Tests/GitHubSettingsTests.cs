using Appliance.Auth.GitHub;

namespace Appliance.Auth.Tests;

public sealed class GitHubSettingsTests
{
    private static readonly GitHubSettings Valid = new() { ClientId = "Ov23liABCDEFGHIJKLMN", ClientSecret = "0123456789abcdef0123456789abcdef01234567" };

    [Fact]
    public void GitHubCom_HasWebAndApiHosts()
    {
        Assert.True(Valid.IsGitHubCom);
        Assert.Equal(new Uri("https://github.com/"), Valid.WebBaseUri);
        Assert.Equal(new Uri("https://api.github.com/"), Valid.ApiBaseUri);
        Assert.Empty(Valid.Validate());
    }

    [Theory]
    [InlineData("github.example.com", "https://github.example.com/", "https://github.example.com/api/v3/")]
    [InlineData("github.example.com:8443", "https://github.example.com:8443/", "https://github.example.com:8443/api/v3/")]
    [InlineData("10.0.0.7", "https://10.0.0.7/", "https://10.0.0.7/api/v3/")]
    [InlineData("[::1]:8443", "https://[::1]:8443/", "https://[::1]:8443/api/v3/")]
    public void EnterpriseServer_ServesTheApiUnderApiV3(string hostname, string web, string api)
    {
        var settings = Valid with { Hostname = hostname };

        Assert.False(settings.IsGitHubCom);
        Assert.Equal(new Uri(web), settings.WebBaseUri);
        Assert.Equal(new Uri(api), settings.ApiBaseUri);
        Assert.Empty(settings.Validate());
    }

    [Theory]
    [InlineData("https://github.example.com")]
    [InlineData("github.example.com/")]
    [InlineData("github.example.com/api/v3")]
    [InlineData("user@github.example.com")]
    [InlineData("github.example.com?x=1")]
    [InlineData("github.example.com:99999")]
    [InlineData("")]
    public void Hostname_WithSchemePathOrJunk_IsAProblem(string hostname)
        => Assert.Contains((Valid with { Hostname = hostname }).Validate(), problem => problem.Contains("hostname", StringComparison.Ordinal));

    [Fact]
    public void MissingCredentialsBadTimeoutPagesOrCa_AreProblems()
    {
        Assert.Single((Valid with { ClientId = "" }).Validate());
        Assert.Single((Valid with { ClientId = "id with spaces" }).Validate());
        Assert.Single((Valid with { ClientSecret = "" }).Validate());
        Assert.Single((Valid with { Timeout = TimeSpan.Zero }).Validate());
        Assert.Single((Valid with { MaximumPages = 0 }).Validate());
        Assert.NotEmpty((Valid with { CaCertificatesPem = "not pem" }).Validate());
    }

    [Fact]
    public void ToString_HidesTheClientSecret()
        => Assert.DoesNotContain(Valid.ClientSecret, Valid.ToString(), StringComparison.Ordinal);

    [Fact]
    public void OAuth_RefusesInvalidSettingsAndRedirectUris()
    {
        using var http = new HttpClient();
        Assert.Throws<ArgumentException>(() => new GitHubOAuth(Valid with { ClientSecret = "" }, http));
        var oauth = new GitHubOAuth(Valid, http);
        Assert.Throws<ArgumentException>(() => oauth.CreateAuthorizationRequest("/verify-auth"));
        Assert.Throws<ArgumentException>(() => oauth.CreateAuthorizationRequest("ftp://appliance.example.test/verify-auth"));
        Assert.Throws<ArgumentException>(() => oauth.CreateAuthorizationRequest("https://appliance.example.test/verify-auth#x"));
    }
}
