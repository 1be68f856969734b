namespace Appliance.Auth.Tests;

public sealed class LdapFilterTests
{
    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("*", "\\2a")]
    [InlineData("(", "\\28")]
    [InlineData(")", "\\29")]
    [InlineData("\\", "\\5c")]
    [InlineData("\0", "\\00")]
    [InlineData("*)(uid=*", "\\2a\\29\\28uid=\\2a")]
    [InlineData("admin)(|(uid=*", "admin\\29\\28|\\28uid=\\2a")]
    [InlineData("Lučić", "Lu\\c4\\8di\\c4\\87")]
    [InlineData("\U0001F600", "\\f0\\9f\\98\\80")]
    [InlineData("a\nb", "a\\0ab")]
    [InlineData("cn=x,dc=y", "cn=x,dc=y")]
    public void Escape_Rfc4515SpecialsAndNonAscii_AreHexEscaped(string value, string expected)
    {
        Assert.Equal(expected, LdapFilter.Escape(value));
    }

    [Theory]
    [InlineData("*)(uid=*")]
    [InlineData("admin)(|(uid=*")]
    [InlineData("x\\29(")]
    public void Escape_InjectionAttempts_LeaveNoFilterSyntax(string value)
    {
        var escaped = LdapFilter.Escape(value);

        Assert.DoesNotContain('(', escaped);
        Assert.DoesNotContain(')', escaped);
        Assert.DoesNotContain('*', escaped);
        // Every backslash left starts an escape of two hex digits.
        for (var i = escaped.IndexOf('\\', StringComparison.Ordinal); i >= 0; i = escaped.IndexOf('\\', i + 1))
        {
            Assert.True(Uri.IsHexDigit(escaped[i + 1]) && Uri.IsHexDigit(escaped[i + 2]));
        }
    }
}
