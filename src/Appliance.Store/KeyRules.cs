namespace Appliance.Store;

/// <summary>
/// Key shape: <c>/registry/</c> followed by non-empty segments of printable ASCII. Keeping keys to
/// printable ASCII makes SQLite's BINARY order the byte order etcd uses and lets a prefix's range end be
/// "last character plus one".
/// </summary>
internal static class KeyRules
{
    public const string Root = "/registry/";

    public static bool IsValidKey(string? key, int maxLength)
        => key is not null && key.Length > Root.Length && key[^1] != '/' && IsValidShape(key, maxLength);

    /// <summary>A range or watch prefix: the root or a key-like path ending in '/'.</summary>
    public static bool IsValidPrefix(string? prefix, int maxLength)
        => prefix is { Length: > 0 } && prefix[^1] == '/' && IsValidShape(prefix, maxLength);

    /// <summary>The smallest string greater than every string starting with <paramref name="prefix"/>.</summary>
    public static string RangeEnd(string prefix)
        => string.Create(prefix.Length, prefix, static (span, p) =>
        {
            p.AsSpan().CopyTo(span);
            span[^1] = (char)(span[^1] + 1);
        });

    private static bool IsValidShape(string value, int maxLength)
    {
        if (value.Length > maxLength || !value.StartsWith(Root, StringComparison.Ordinal))
        {
            return false;
        }

        for (int i = 1; i < value.Length; i++)
        {
            char c = value[i];
            if (c is < '!' or > '~' || (c == '/' && value[i - 1] == '/'))
            {
                return false;
            }
        }

        return true;
    }
}
