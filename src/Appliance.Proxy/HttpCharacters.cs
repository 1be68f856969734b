using System.Buffers;

namespace Appliance.Proxy;

/// <summary>Character classes of RFC 9110 and RFC 3986 as vectorizable byte sets.</summary>
internal static class HttpCharacters
{
    /// <summary>tchar (RFC 9110 section 5.6.2).</summary>
    public static readonly SearchValues<byte> Token =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>
    /// Bytes never allowed in a field value: CTLs other than HTAB, and DEL (RFC 9110 section 5.5).
    /// obs-text (0x80-0xFF) is allowed, as the RFC says a recipient must accept it.
    /// </summary>
    public static readonly SearchValues<byte> InvalidFieldValue = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
         0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F]);

    /// <summary>
    /// origin-form characters: pchar, "/" and "?" (RFC 3986 sections 3.3 and 3.4). Excludes "#", "\",
    /// quotes, braces and the like, which some servers normalize and others do not.
    /// </summary>
    public static readonly SearchValues<byte> OriginFormTarget =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%"u8);

    public static bool IsToken(ReadOnlySpan<byte> value) => !value.IsEmpty && !value.ContainsAnyExcept(Token);

    public static bool IsHexDigit(byte value) => (uint)(value - '0') <= 9 || (uint)((value | 0x20) - 'a') <= 'f' - 'a';

    /// <summary>Trims optional whitespace (SP / HTAB, RFC 9110 section 5.6.3) from both ends.</summary>
    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> value)
    {
        int start = 0;
        while ((uint)start < (uint)value.Length && (value[start] == ' ' || value[start] == '\t'))
        {
            start++;
        }

        int end = value.Length;
        while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
        {
            end--;
        }

        return value[start..end];
    }

    /// <summary>
    /// Next element of a comma-separated list (RFC 9110 section 5.6.1), trimmed; empty elements are
    /// skipped as the RFC requires. Returns false at the end of the list.
    /// </summary>
    public static bool TryReadListElement(ReadOnlySpan<byte> list, ref int position, out ReadOnlySpan<byte> element)
    {
        while ((uint)position < (uint)list.Length)
        {
            ReadOnlySpan<byte> rest = list[position..];
            int comma = rest.IndexOf((byte)',');
            ReadOnlySpan<byte> raw = comma < 0 ? rest : rest[..comma];
            position += comma < 0 ? rest.Length : comma + 1;
            element = TrimWhitespace(raw);
            if (!element.IsEmpty)
            {
                return true;
            }
        }

        element = default;
        return false;
    }
}
