using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Auth.Tests;

public sealed class CookieSealerTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void ASealedValue_OpensForItsPurposeUntilItExpires_AndReadsAsNothing()
    {
        var sealer = new CookieSealer(_key);
        byte[] payload = Encoding.UTF8.GetBytes("state\nverifier\nhttps://example.test/cb");
        string sealedText = sealer.Seal("github", payload, Now.AddMinutes(10));

        Assert.Equal(payload, sealer.Open("github", sealedText, Now));
        Assert.Equal(payload, sealer.Open("github", sealedText, Now.AddMinutes(10).AddSeconds(-1)));
        Assert.Null(sealer.Open("github", sealedText, Now.AddMinutes(10)));
        Assert.DoesNotContain("verifier", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(sealedText)), StringComparison.Ordinal);
        Assert.NotEqual(sealedText, sealer.Seal("github", payload, Now.AddMinutes(10)));
    }

    [Fact]
    public void AnotherPurpose_AnotherKey_AnyChangedByte_OrJunk_OpensToNull()
    {
        var sealer = new CookieSealer(_key);
        string sealedText = sealer.Seal("github", "payload"u8, Now.AddMinutes(10));
        byte[] raw = Base64Url.DecodeFromChars(sealedText);

        Assert.Null(sealer.Open("other", sealedText, Now));
        Assert.Null(new CookieSealer(RandomNumberGenerator.GetBytes(32)).Open("github", sealedText, Now));
        for (int i = 0; i < raw.Length; i++)
        {
            byte[] changed = (byte[])raw.Clone();
            changed[i] ^= 0x01;
            Assert.Null(sealer.Open("github", Base64Url.EncodeToString(changed), Now));
        }

        foreach (string junk in new[] { "", "!!!", "AAAA", new string('A', CookieSealer.MaxSealedChars + 4), sealedText[..^4] })
        {
            Assert.Null(sealer.Open("github", junk, Now));
        }

        Assert.Null(sealer.Open("github", null, Now));
    }

    [Fact]
    public void TheDerivedKey_IsNotTheServerKey()
    {
        // A value sealed under the raw key with the same layout does not open: the sealer only uses derived keys.
        byte[] plaintext = new byte[8 + 1];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(plaintext, Now.AddMinutes(5).ToUnixTimeSeconds());
        byte[] sealedValue = new byte[1 + 12 + plaintext.Length + 16];
        sealedValue[0] = 1;
        using (var aes = new AesGcm(_key, 16))
        {
            aes.Encrypt(sealedValue.AsSpan(1, 12), plaintext, sealedValue.AsSpan(13, plaintext.Length), sealedValue.AsSpan(13 + plaintext.Length), "github"u8);
        }

        Assert.Null(new CookieSealer(_key).Open("github", Base64Url.EncodeToString(sealedValue), Now));
    }
}
