using System.Security.Cryptography;
using System.Text;
using Appliance.Clusters.Registration;

namespace Appliance.Clusters.Tests;

/// <summary>The registration manifest (applied to a real server with kubectl in the end-to-end tests).</summary>
public sealed class ImportManifestTests
{
    [Fact]
    public void CaChecksum_IsTheSha256OfThePemInLowerCaseHex()
    {
        const string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(pem))), ImportManifest.CaChecksum(pem));
    }

    [Fact]
    public void Manifest_RunsTheAgentWithTheServerChecksumAndToken_AndTheImpersonatorMayOnlyImpersonate()
    {
        string manifest = ImportManifest.Build("https://appliance.example:8443", "c1:secret", new string('a', 64), "registry.example/appliance:1");

        Assert.Contains("args: [\"agent\", \"--server\", \"https://appliance.example:8443\", \"--ca-checksum\", \"" + new string('a', 64) + "\", \"--token\", \"$(APPLIANCE_TOKEN)\"]", manifest, StringComparison.Ordinal);
        Assert.Contains("token: \"c1:secret\"", manifest, StringComparison.Ordinal);
        Assert.Contains("image: \"registry.example/appliance:1\"", manifest, StringComparison.Ordinal);
        int role = manifest.IndexOf("name: appliance-impersonator\nrules:", StringComparison.Ordinal);
        string rules = manifest[role..manifest.IndexOf("---", role, StringComparison.Ordinal)];
        Assert.Equal(2, rules.Split("verbs: [\"impersonate\"]").Length - 1);
        Assert.Equal(2, rules.Split("verbs:").Length - 1);
    }

    [Theory]
    [InlineData("https://evil.example\"\n  injected: true")]
    [InlineData("https://a.example\\")]
    public void Manifest_RefusesValuesThatWouldBreakOutOfTheirYamlString(string serverUrl)
        => Assert.Throws<ArgumentException>(() => ImportManifest.Build(serverUrl, "c1:secret", new string('a', 64), "image"));
}
