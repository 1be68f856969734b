namespace Appliance.Auth.Tests;

public sealed class ApiTokenTests
{
    [Fact]
    public void Generate_GivesRancherShapedNameAndLongSecret()
    {
        var token = ApiToken.Generate();

        Assert.Matches("^token-[a-z0-9]{5}$", token.Name);
        Assert.Matches("^[A-Za-z0-9]{54}$", token.Secret);
        // 54 base62 characters: 54 * log2(62) bits.
        Assert.True(54 * Math.Log2(62) >= 256);
        Assert.Equal(token.Name + ":" + token.Secret, token.ToString());
    }

    [Fact]
    public void Generate_ManyTimes_NeverRepeatsASecret()
    {
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(secrets.Add(ApiToken.Generate().Secret));
        }
    }

    [Fact]
    public void Parse_FormattedToken_RoundTrips()
    {
        var token = ApiToken.Generate();

        var parsed = ApiToken.Parse(token.ToString());

        Assert.Equal(token, parsed);
        Assert.Equal(token.Name, parsed.Name);
        Assert.Equal(token.Secret, parsed.Secret);
    }

    [Theory]
    [InlineData("")]
    [InlineData("token-abcde")]
    [InlineData("token-abcde:")]
    [InlineData("token-ABCDE:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("token-abcd:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("token-abcdef:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("kubeconfig-u-abcde:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("token-abcde:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("token-abcde:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("token-abcde:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-")]
    [InlineData("token-abcde:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:a")]
    public void TryParse_Malformed_IsRejected(string text)
    {
        Assert.False(ApiToken.TryParse(text, out _));
        var exception = Assert.Throws<FormatException>(() => ApiToken.Parse(text));
        if (text.Length > 12)
        {
            Assert.DoesNotContain(text[12..], exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Lifetimes_AreRancherDefaults_AndClampedToMaximum()
    {
        Assert.Equal(TimeSpan.FromHours(16), TokenLifetimes.Session);
        Assert.Equal(TimeSpan.FromDays(30), TokenLifetimes.Kubeconfig);
        Assert.Equal(TimeSpan.FromDays(90), TokenLifetimes.Maximum);
        Assert.Equal(TokenLifetimes.Session, TokenLifetimes.Clamp(null, TokenLifetimes.Session, TokenLifetimes.Maximum));
        Assert.Equal(TimeSpan.FromDays(90), TokenLifetimes.Clamp(TimeSpan.FromDays(365), TokenLifetimes.Kubeconfig, TokenLifetimes.Maximum));
        Assert.Equal(TimeSpan.FromHours(1), TokenLifetimes.Clamp(TimeSpan.FromHours(1), TokenLifetimes.Session, TokenLifetimes.Maximum));
        // No default (an API key, or a kubeconfig of Setting 0): the maximum; neither: never expires.
        Assert.Equal(TokenLifetimes.Maximum, TokenLifetimes.Clamp(null, null, TokenLifetimes.Maximum));
        Assert.Null(TokenLifetimes.Clamp(null, null, null));
        Assert.Equal(TimeSpan.FromDays(400), TokenLifetimes.Clamp(TimeSpan.FromDays(400), TokenLifetimes.Session, null));
    }
}
