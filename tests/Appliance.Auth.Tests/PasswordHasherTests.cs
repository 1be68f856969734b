namespace Appliance.Auth.Tests;

public sealed class PasswordHasherTests
{
    // The real count costs ~0.1-0.3 s per hash; tests that do not measure the count use a small one.
    private static readonly PasswordHasher Fast = new(1_000);

    [Fact]
    public void Default_UsesOwaspIterationCountForSha512()
    {
        Assert.Equal(210_000, PasswordHasher.DefaultIterations);
        var encoded = new PasswordHasher().Hash("correct horse battery staple");

        Assert.StartsWith("$pbkdf2-sha512$i=210000$", encoded, StringComparison.Ordinal);
        Assert.Equal(PasswordVerification.Success, new PasswordHasher().Verify(encoded, "correct horse battery staple"));
    }

    [Fact]
    public void Verify_RightPassword_Succeeds_WrongPassword_Fails()
    {
        var encoded = Fast.Hash("correct horse battery staple");

        Assert.Equal(PasswordVerification.Success, Fast.Verify(encoded, "correct horse battery staple"));
        Assert.Equal(PasswordVerification.Failed, Fast.Verify(encoded, "correct horse battery stapl"));
        Assert.Equal(PasswordVerification.Failed, Fast.Verify(encoded, "Correct horse battery staple"));
        Assert.Equal(PasswordVerification.Failed, Fast.Verify(encoded, ""));
    }

    [Fact]
    public void Hash_SamePasswordTwice_GivesDifferentSaltsAndHashes()
    {
        var first = Fast.Hash("same password here");
        var second = Fast.Hash("same password here");

        Assert.NotEqual(first, second);
        var salt = Convert.FromBase64String(first.Split('$')[3]);
        Assert.Equal(16, salt.Length);
        Assert.Equal(64, Convert.FromBase64String(first.Split('$')[4]).Length);
    }

    [Fact]
    public void Verify_HashWithFewerIterationsThanCurrent_AsksForRehash()
    {
        var old = new PasswordHasher(500).Hash("an older password");

        Assert.Equal(PasswordVerification.SuccessRehashNeeded, Fast.Verify(old, "an older password"));
        Assert.Equal(PasswordVerification.Failed, Fast.Verify(old, "a wrong password"));
        Assert.Equal(PasswordVerification.Success, new PasswordHasher(500).Verify(old, "an older password"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plaintext")]
    [InlineData("$pbkdf2-sha512$i=1000$AAAA$AAAA")]
    [InlineData("$pbkdf2-sha512$i=0$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")]
    [InlineData("$pbkdf2-sha512$i=999999999$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")]
    [InlineData("$pbkdf2-sha256$i=1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")]
    [InlineData("$pbkdf2-sha512$i=1000$not base64!$AAAA")]
    public void Verify_MalformedOrForeignEncoding_FailsWithoutThrowing(string encoded)
    {
        Assert.Equal(PasswordVerification.Failed, Fast.Verify(encoded, "anything"));
    }

    [Fact]
    public void Verify_TamperedHash_Fails()
    {
        var encoded = Fast.Hash("correct horse battery staple");
        var parts = encoded.Split('$');
        var hash = Convert.FromBase64String(parts[4]);
        hash[^1] ^= 1;
        parts[4] = Convert.ToBase64String(hash);

        Assert.Equal(PasswordVerification.Failed, Fast.Verify(string.Join('$', parts), "correct horse battery staple"));
    }

    [Fact]
    public void ValidateLength_ShortPassword_SaysWhatIsRequired()
    {
        var problem = PasswordHasher.ValidateLength("short", 12);

        Assert.Equal("The password must be at least 12 characters long (it has 5).", problem);
        Assert.Null(PasswordHasher.ValidateLength("twelve chars", 12));
        // Four astral-plane characters are four characters, not eight UTF-16 units.
        Assert.NotNull(PasswordHasher.ValidateLength("\U0001F600\U0001F600\U0001F600\U0001F600", 5));
    }
}
