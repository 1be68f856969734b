using System.Text;

namespace Appliance.Proxy.Tests;

public class IdentityHeadersTests
{
    [Fact]
    public void Block_HasUserGroupsAuthenticatedAndExtras_InOrder()
    {
        Assert.True(ImpersonationHeaders.TryCreate(
            "u-abc12",
            ["local://g-admins", "github_org://42"],
            [new("principalid", "local://u-abc12"), new("username", "Alice Example")],
            out ImpersonationHeaders? headers));

        Assert.Equal(
            "Impersonate-User: u-abc12\r\n" +
            "Impersonate-Group: local://g-admins\r\n" +
            "Impersonate-Group: github_org://42\r\n" +
            "Impersonate-Group: system:authenticated\r\n" +
            "Impersonate-Extra-principalid: local://u-abc12\r\n" +
            "Impersonate-Extra-username: Alice Example\r\n",
            Encoding.UTF8.GetString(headers.Block));
    }

    [Fact]
    public void AuthenticatedGroup_IsNotRepeated_WhenTheCallerAlreadyHasIt()
    {
        Assert.True(ImpersonationHeaders.TryCreate("u-1", ["system:authenticated"], [], out ImpersonationHeaders? headers));

        Assert.Equal("Impersonate-User: u-1\r\nImpersonate-Group: system:authenticated\r\n", Encoding.UTF8.GetString(headers.Block));
    }

    [Theory]
    [InlineData("principalid", "principalid")]
    [InlineData("Scopes", "%53copes")]
    [InlineData("acme.com/project", "acme.com%2Fproject")]
    [InlineData("a b", "a%20b")]
    [InlineData("caf\u00e9", "caf%C3%A9")]
    [InlineData("100%", "100%25")]
    [InlineData("x\r\nImpersonate-User: admin", "x%0D%0A%49mpersonate-%55ser%3A%20admin")]
    public void ExtraKey_IsPercentEncoded_SoKubernetesDecodesItBack(string key, string encoded)
    {
        Assert.True(ImpersonationHeaders.TryCreate("u-1", [], [new(key, "v")], out ImpersonationHeaders? headers));

        string block = Encoding.UTF8.GetString(headers.Block);
        Assert.EndsWith($"Impersonate-Extra-{encoded}: v\r\n", block, StringComparison.Ordinal);
        Assert.Equal(3, block.Split("\r\n").Length - 1);
    }

    [Fact]
    public void NonAsciiNames_AreWrittenAsUtf8()
    {
        Assert.True(ImpersonationHeaders.TryCreate("jos\u00e9", [], [], out ImpersonationHeaders? headers));

        Assert.StartsWith("Impersonate-User: jos\u00e9\r\n", Encoding.UTF8.GetString(headers.Block), StringComparison.Ordinal);
    }

    public static TheoryData<string> InjectionAttempts() => new()
    {
        "alice\r\nImpersonate-Group: system:masters",
        "alice\nImpersonate-Group: system:masters",
        "alice\rImpersonate-Group: system:masters",
        "alice\u0000",
        "alice\tsystem:masters",
        "alice\u007f",
        "alice\u0085",
        "alice\u2028Impersonate-Group: system:masters",
        " alice",
        "alice ",
        "",
    };

    [Fact]
    public void Names_WithALoneSurrogate_AreRejected()
    {
        // Not theory data: xunit's serialization would turn the lone surrogate into U+FFFD before the test ran.
        string lone = "alice" + '\ud800';

        Assert.False(ImpersonationHeaders.TryCreate(lone, [], [], out _));
        Assert.False(ImpersonationHeaders.TryCreate("u-1", [lone], [], out _));
        Assert.False(ImpersonationHeaders.TryCreate("u-1", [], [new("username", lone)], out _));
    }

    [Theory]
    [MemberData(nameof(InjectionAttempts))]
    public void UserName_ThatCouldInjectOrAlterAHeader_IsRejected(string value)
    {
        Assert.False(ImpersonationHeaders.TryCreate(value, [], [], out ImpersonationHeaders? headers));
        Assert.Null(headers);
    }

    [Theory]
    [MemberData(nameof(InjectionAttempts))]
    public void GroupName_ThatCouldInjectOrAlterAHeader_IsRejected(string value)
    {
        Assert.False(ImpersonationHeaders.TryCreate("u-1", ["local://g1", value], [], out _));
    }

    [Theory]
    [MemberData(nameof(InjectionAttempts))]
    public void ExtraValue_ThatCouldInjectOrAlterAHeader_IsRejected(string value)
    {
        Assert.False(ImpersonationHeaders.TryCreate("u-1", [], [new("username", value)], out _));
    }

    [Fact]
    public void EmptyExtraKey_IsRejected()
    {
        Assert.False(ImpersonationHeaders.TryCreate("u-1", [], [new("", "v")], out _));
    }

    [Theory]
    [InlineData("10.0.0.5:6443", "abc.def-ghi_jkl", true)]
    [InlineData("[fd00::1]:6443", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true)]
    [InlineData("kube.example.com", "token/with+slash==", true)]
    [InlineData("10.0.0.5:6443\r\nImpersonate-User: admin", "t", false)]
    [InlineData("10.0.0.5 6443", "t", false)]
    [InlineData("", "t", false)]
    [InlineData("10.0.0.5:6443", "t\r\nImpersonate-Group: system:masters", false)]
    [InlineData("10.0.0.5:6443", "two words", false)]
    [InlineData("10.0.0.5:6443", "t\u00e9", false)]
    [InlineData("10.0.0.5:6443", "", false)]
    public void UpstreamHeaders_AcceptOnlyAnAuthorityAndAToken68(string authority, string token, bool valid)
    {
        Assert.Equal(valid, UpstreamHeaders.TryCreate(authority, token, out UpstreamHeaders? headers));
        if (valid)
        {
            Assert.Equal($"Host: {authority}\r\n", Encoding.ASCII.GetString(headers!.HostLine));
            Assert.Equal($"Authorization: Bearer {token}\r\n", Encoding.ASCII.GetString(headers.AuthorizationLine));
        }
    }
}
