using System.Text;

namespace Appliance.Auth;

/// <summary>Building LDAP search filters from untrusted values.</summary>
public static class LdapFilter
{
    /// <summary>
    /// Escapes a value for use inside a filter's assertion value (RFC 4515 section 3): <c>*</c>,
    /// <c>(</c>, <c>)</c>, <c>\</c> and NUL become <c>\2a \28 \29 \5c \00</c>, so a username such
    /// as <c>*)(uid=*</c> is compared literally instead of widening the filter. Every byte of a
    /// non-ASCII character's UTF-8 form is escaped too (allowed by the RFC, and it keeps the
    /// filter plain ASCII whatever the client library does with encodings); so are ASCII control
    /// characters.
    /// </summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            var scalar = rune.Value;
            if (scalar is > 0x1f and < 0x7f and not '*' and not '(' and not ')' and not '\\')
            {
                builder.Append((char)scalar);
                continue;
            }

            var count = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..count])
            {
                builder.Append('\\').Append(HexDigits[b >> 4]).Append(HexDigits[b & 0xf]);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// A binary assertion value (such as AD's 16-byte objectGUID), every byte escaped as <c>\xx</c>
    /// (RFC 4515 section 3): the only way to put arbitrary octets into a string filter.
    /// </summary>
    public static string EscapeBytes(ReadOnlySpan<byte> value)
    {
        var builder = new StringBuilder(value.Length * 3);
        foreach (var b in value)
        {
            builder.Append('\\').Append(HexDigits[b >> 4]).Append(HexDigits[b & 0xf]);
        }

        return builder.ToString();
    }

    private const string HexDigits = "0123456789abcdef";
}
