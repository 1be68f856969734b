using System.Buffers;
using System.Text;

namespace Appliance.Proxy;

/// <summary>
/// Turns identity strings (user names, groups, extras, tokens) into header bytes once, off the hot path,
/// refusing anything that could end a header line or change meaning when a parser trims it.
/// </summary>
internal static class IdentityValues
{
    /// <summary>RFC 3986 unreserved minus upper-case letters: everything else in an extra key is percent-encoded.</summary>
    private static readonly SearchValues<byte> ExtraKeyVerbatim = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-._~"u8);

    /// <summary>
    /// A value is written verbatim as UTF-8 (kube-apiserver reads impersonation values as is), so it must
    /// be non-empty, have no control character (C0, DEL, C1: CR/LF would inject a header line), no
    /// leading or trailing whitespace (a parser would trim it and change the name) and be valid UTF-16.
    /// </summary>
    public static bool IsValidValue(string value)
    {
        if (value.Length == 0 || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            return false;
        }

        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (char.IsControl(c) || c == '\u2028' || c == '\u2029')
            {
                return false;
            }

            // A lone surrogate would become U+FFFD in UTF-8: a different name than the one authorized.
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    public static void AppendLine(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> name, string value)
    {
        AppendName(output, name);
        Append(output, Encoding.UTF8.GetBytes(value));
        Append(output, "\r\n"u8);
    }

    public static void AppendName(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> name)
    {
        Append(output, name);
        Append(output, ": "u8);
    }

    public static void Append(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);

    /// <summary>
    /// <c>Impersonate-Extra-&lt;key&gt;</c>: header names are case-insensitive and kube-apiserver lower-cases the
    /// key and then percent-decodes it (k8s.io/apiserver impersonation filter), so every byte outside
    /// lower-case unreserved characters, upper-case letters included, is percent-encoded to survive both.
    /// </summary>
    public static void AppendPercentEncodedKey(ArrayBufferWriter<byte> output, string key)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(key);
        foreach (byte b in utf8)
        {
            if (ExtraKeyVerbatim.Contains(b))
            {
                output.Write([b]);
            }
            else
            {
                output.Write([(byte)'%', HexDigit(b >> 4), HexDigit(b & 0xF)]);
            }
        }
    }

    private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'A' + value - 10);
}
