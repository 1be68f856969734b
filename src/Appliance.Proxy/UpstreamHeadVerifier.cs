using System.Text;

namespace Appliance.Proxy;

/// <summary>
/// The last line of defence (DESIGN.md "Proxy": "check the outgoing header block once more and fail
/// closed"): re-reads the head exactly as the upstream will and accepts it only if every identity-bearing
/// header is in the proxy's own trailing block. Independent of the removal rules, so a bug there cannot
/// send a client's identity downstream (Rancher CVE-2021-31999 was such a bug).
/// </summary>
internal static class UpstreamHeadVerifier
{
    /// <param name="head">The complete upstream head, request line to the final CRLF CRLF.</param>
    /// <param name="trustedStart">Where the proxy's identity block (Impersonate-*, then Authorization) starts.</param>
    public static RewriteError Verify(ReadOnlySpan<byte> head, int trustedStart)
    {
        int userLines = 0;
        int authorizationLines = 0;

        // Lines are split at LF and must end in CRLF with no other CR: the head was written from validated
        // fields, so anything else means a rule is broken, and the head is refused like any other surprise.
        int lineStart = head.IndexOf((byte)'\n') + 1;
        while (lineStart < head.Length)
        {
            int lineLength = head[lineStart..].IndexOf((byte)'\n') - 1;
            if (lineLength < 0 || head[lineStart + lineLength] != '\r')
            {
                return RewriteError.IdentityBlockMismatch;
            }

            if (lineLength == 0)
            {
                // The empty line must end the head: a byte after it would be a second, smuggled request.
                bool complete = lineStart + 2 == head.Length && userLines == 1 && authorizationLines == 1;
                return complete ? RewriteError.None : RewriteError.IdentityBlockMismatch;
            }

            ReadOnlySpan<byte> line = head.Slice(lineStart, lineLength);
            if (line.Contains((byte)'\r'))
            {
                return RewriteError.IdentityBlockMismatch;
            }

            int colon = line.IndexOf((byte)':');
            ReadOnlySpan<byte> name = colon < 0 ? line : line[..colon];
            HeaderKind kind = HeaderNames.Classify(HttpCharacters.TrimWhitespace(name));
            bool trusted = lineStart >= trustedStart;
            switch (kind)
            {
                case HeaderKind.Impersonation:
                case HeaderKind.Authorization:
                    if (!trusted)
                    {
                        return RewriteError.ForeignIdentityHeader;
                    }

                    if (kind == HeaderKind.Authorization)
                    {
                        authorizationLines++;
                    }
                    else if (Ascii.EqualsIgnoreCase(name, "Impersonate-User"u8))
                    {
                        userLines++;
                    }

                    break;
                case HeaderKind.ProxyAuthorization:
                case HeaderKind.RemoteIdentity:
                case HeaderKind.Cookie:
                    return RewriteError.ForeignIdentityHeader;
                case HeaderKind.SecWebSocketProtocol:
                    if (colon >= 0 && ContainsBearerSubprotocol(line[(colon + 1)..]))
                    {
                        return RewriteError.ForeignIdentityHeader;
                    }

                    break;
                default:
                    if (trusted)
                    {
                        return RewriteError.IdentityBlockMismatch; // Nothing else belongs in our block.
                    }

                    break;
            }

            lineStart += lineLength + 2;
        }

        return RewriteError.IdentityBlockMismatch; // No empty line: not a complete head.
    }

    public static bool ContainsBearerSubprotocol(ReadOnlySpan<byte> list)
    {
        int position = 0;
        while (HttpCharacters.TryReadListElement(list, ref position, out ReadOnlySpan<byte> protocol))
        {
            if (HeaderNames.StartsWithIgnoreCase(protocol, HeaderNames.BearerSubprotocolPrefix))
            {
                return true;
            }
        }

        return false;
    }
}
