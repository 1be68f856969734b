using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Appliance.Proxy;

/// <summary>
/// The caller's identity as the ready-made header lines the proxy appends to every upstream request:
/// <c>Impersonate-User</c>, one <c>Impersonate-Group</c> per group plus <c>system:authenticated</c>, and
/// <c>Impersonate-Extra-*</c>. Built once per authenticated connection (DESIGN.md "Proxy": the identity
/// lives in the connection's state, never re-read from headers), so writing it allocates nothing.
/// </summary>
internal sealed class ImpersonationHeaders
{
    /// <summary>Kubernetes adds this group to every authenticated user; impersonation must add it itself.</summary>
    public const string AuthenticatedGroup = "system:authenticated";

    private readonly byte[] _block;

    private ImpersonationHeaders(byte[] block) => _block = block;

    /// <summary>The header lines, each ending in CRLF.</summary>
    public ReadOnlySpan<byte> Block => _block;

    /// <summary>
    /// Builds the block, or returns false when a value could inject or alter a header (see
    /// <see cref="IdentityValues.IsValidValue"/>); the caller then refuses the connection.
    /// </summary>
    public static bool TryCreate(
        string userName,
        ReadOnlySpan<string> groups,
        ReadOnlySpan<KeyValuePair<string, string>> extras,
        [NotNullWhen(true)] out ImpersonationHeaders? headers)
    {
        headers = null;
        if (!IdentityValues.IsValidValue(userName))
        {
            return false;
        }

        var output = new ArrayBufferWriter<byte>(256);
        IdentityValues.AppendLine(output, "Impersonate-User"u8, userName);
        bool hasAuthenticated = false;
        foreach (string group in groups)
        {
            if (!IdentityValues.IsValidValue(group))
            {
                return false;
            }

            hasAuthenticated |= group == AuthenticatedGroup;
            IdentityValues.AppendLine(output, "Impersonate-Group"u8, group);
        }

        if (!hasAuthenticated)
        {
            IdentityValues.AppendLine(output, "Impersonate-Group"u8, AuthenticatedGroup);
        }

        foreach (KeyValuePair<string, string> extra in extras)
        {
            if (extra.Key.Length == 0 || !IdentityValues.IsValidValue(extra.Value))
            {
                return false;
            }

            IdentityValues.Append(output, "Impersonate-Extra-"u8);
            IdentityValues.AppendPercentEncodedKey(output, extra.Key);
            IdentityValues.Append(output, ": "u8);
            IdentityValues.Append(output, System.Text.Encoding.UTF8.GetBytes(extra.Value));
            IdentityValues.Append(output, "\r\n"u8);
        }

        headers = new ImpersonationHeaders(output.WrittenSpan.ToArray());
        return true;
    }
}
