using System.Globalization;

namespace Appliance.Store;

/// <summary>
/// "{revision}:{last key}". Carrying the revision is what keeps every page of a list at one snapshot;
/// the API layer base64-encodes it, so the store keeps it readable for debugging.
/// </summary>
internal static class ContinueToken
{
    public static string Format(long revision, string lastKey)
        => string.Create(CultureInfo.InvariantCulture, $"{revision}:{lastKey}");

    public static bool TryParse(string token, string prefix, out long revision, out string lastKey)
    {
        revision = 0;
        lastKey = "";
        int colon = token.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0
            || !long.TryParse(token.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out revision)
            || revision <= 0)
        {
            return false;
        }

        lastKey = token[(colon + 1)..];
        return lastKey.StartsWith(prefix, StringComparison.Ordinal) && lastKey.Length > prefix.Length;
    }
}
