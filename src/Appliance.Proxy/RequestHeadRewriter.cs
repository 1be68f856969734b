using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Appliance.Proxy;

/// <summary>
/// Writes the upstream request head: the security boundary of the proxy (DESIGN.md "Proxy"). The
/// order is the point (Rancher CVE-2021-31999): first everything the client may not send upstream is
/// dropped, including every header its Connection field names; only then are the proxy's own headers
/// appended, so no client header can remove them; then the result is checked once more by
/// <see cref="UpstreamHeadVerifier"/> and nothing is committed unless it passes.
/// </summary>
internal static class RequestHeadRewriter
{
    /// <summary>Room for what the rewriter adds besides the identity, Host and Authorization lines.</summary>
    private const int FixedOverhead = 128;

    /// <summary>
    /// Writes the upstream head for <paramref name="request"/> into <paramref name="output"/>, or nothing
    /// at all (not even a partial head: the bytes are committed with one Advance after the check).
    /// </summary>
    public static RewriteError TryWrite(
        RequestHead request,
        in ClusterRoute route,
        ImpersonationHeaders identity,
        UpstreamHeaders upstream,
        IBufferWriter<byte> output,
        out int bytesWritten) =>
        TryWrite(request, route, identity, upstream, output, removeClientHeaders: true, out bytesWritten);

    /// <param name="removeClientHeaders">
    /// False only in tests, to prove that <see cref="UpstreamHeadVerifier"/> alone stops a client's identity
    /// headers if the removal rules were ever wrong.
    /// </param>
    internal static RewriteError TryWrite(
        RequestHead request,
        in ClusterRoute route,
        ImpersonationHeaders identity,
        UpstreamHeaders upstream,
        IBufferWriter<byte> output,
        bool removeClientHeaders,
        out int bytesWritten)
    {
        bytesWritten = 0;

        // An upper bound: each kept field line grows by at most the one space after its colon, a rewritten
        // Sec-WebSocket-Protocol list by at most one space per comma, and the new request line is shorter
        // than the old one (the /k8s/clusters/{id} prefix is gone).
        ReadOnlySpan<byte> bytes = request.Bytes;
        ReadOnlySpan<HeaderField> fields = request.Fields;
        int capacity = bytes.Length + fields.Length + upstream.HostLine.Length
            + identity.Block.Length + upstream.AuthorizationLine.Length + FixedOverhead;
        foreach (HeaderField field in fields)
        {
            if (field.Kind == HeaderKind.SecWebSocketProtocol)
            {
                capacity += field.ValueLength;
            }
        }

        Span<byte> destination = output.GetSpan(capacity);
        int position = 0;

        // Request line. An intermediary sends its own version (RFC 9110 section 6.2), so always HTTP/1.1.
        Append(destination, ref position, request.Method);
        destination[position++] = (byte)' ';
        position += route.WriteUpstreamTarget(destination[position..]);
        Append(destination, ref position, " HTTP/1.1\r\n"u8);

        // Host first (RFC 9110 section 7.2), the upstream's authority, never the client's.
        Append(destination, ref position, upstream.HostLine);

        bool tunnelUpgrade = request.IsUpgradeRequest && IsTunnelledUpgrade(bytes, fields);
        bool hasConnection = request.HasConnectionField;
        foreach (HeaderField field in fields)
        {
            ReadOnlySpan<byte> name = field.Name(bytes);
            if (removeClientHeaders && IsRemoved(bytes, fields, name, field.Kind, hasConnection))
            {
                continue;
            }

            ReadOnlySpan<byte> value = field.Value(bytes);
            if (removeClientHeaders && field.Kind == HeaderKind.SecWebSocketProtocol)
            {
                AppendSubprotocolsWithoutBearer(destination, ref position, name, value);
                continue;
            }

            AppendField(destination, ref position, name, value);
        }

        // Body framing as parsed, in one canonical field: repeated identical Content-Length fields become
        // one, and a Connection-named Content-Length cannot strip the framing (it is re-sent from the parse).
        if (request.IsChunked)
        {
            Append(destination, ref position, "Transfer-Encoding: chunked\r\n"u8);
        }
        else if (request.ContentLength >= 0)
        {
            Append(destination, ref position, "Content-Length: "u8);
            Utf8Formatter.TryFormat(request.ContentLength, destination[position..], out int digits);
            position += digits;
            Append(destination, ref position, "\r\n"u8);
        }

        if (tunnelUpgrade)
        {
            Append(destination, ref position, "Connection: Upgrade\r\n"u8);
            foreach (HeaderField field in fields)
            {
                if (field.Kind == HeaderKind.Upgrade)
                {
                    AppendField(destination, ref position, field.Name(bytes), field.Value(bytes));
                }
            }
        }

        int trustedStart = position;
        Append(destination, ref position, identity.Block);
        Append(destination, ref position, upstream.AuthorizationLine);
        Append(destination, ref position, "\r\n"u8);

        RewriteError error = UpstreamHeadVerifier.Verify(destination[..position], trustedStart);
        if (error != RewriteError.None)
        {
            // Fail closed: nothing is advanced, and the scratch bytes are wiped so a caller that ignored the
            // error and flushed the span anyway would not send a half-rewritten head.
            destination[..position].Clear();
            return error;
        }

        output.Advance(position);
        bytesWritten = position;
        return RewriteError.None;
    }

    /// <summary>Every client header that must not reach the upstream as the client sent it.</summary>
    private static bool IsRemoved(ReadOnlySpan<byte> bytes, ReadOnlySpan<HeaderField> fields, ReadOnlySpan<byte> name, HeaderKind kind, bool hasConnection) => kind switch
    {
        // Replaced by ours: Host and the framing fields (re-sent from the parse), Connection/Upgrade (re-sent
        // only for a tunnelled upgrade).
        HeaderKind.Host or HeaderKind.ContentLength or HeaderKind.TransferEncoding
            or HeaderKind.Connection or HeaderKind.Upgrade => true,

        // Hop-by-hop (RFC 9110 section 7.6.1) and identity: never forwarded.
        HeaderKind.HopByHop or HeaderKind.ProxyAuthorization or HeaderKind.Authorization or HeaderKind.Cookie
            or HeaderKind.Impersonation or HeaderKind.RemoteIdentity => true,

        // Answered by the proxy itself (see HeaderKind.Expect).
        HeaderKind.Expect => true,

        // Anything else the client declared hop-by-hop in Connection (RFC 9110 section 7.6.1). This can
        // only remove client headers: ours are appended after this loop.
        _ => hasConnection && HttpHead.IsNamedByConnection(bytes, fields, name),
    };

    /// <summary>Whether the rewritten request asks the upstream for a tunnel (see <see cref="IsTunnelledUpgrade(ReadOnlySpan{byte}, ReadOnlySpan{HeaderField})"/>).</summary>
    public static bool IsTunnelledUpgrade(RequestHead request) => request.IsUpgradeRequest && IsTunnelledUpgrade(request.Bytes, request.Fields);

    /// <summary>
    /// Only the upgrades kubectl uses open a tunnel: WebSocket and SPDY/3.1 (exec, attach, port-forward).
    /// Anything else (h2c, or a list mixing in another protocol) is forwarded as a plain request without
    /// Upgrade, so the upstream answers it normally (DESIGN.md "Proxy").
    /// </summary>
    private static bool IsTunnelledUpgrade(ReadOnlySpan<byte> bytes, ReadOnlySpan<HeaderField> fields)
    {
        int upgradeFields = 0;
        foreach (HeaderField field in fields)
        {
            if (field.Kind != HeaderKind.Upgrade)
            {
                continue;
            }

            upgradeFields++;
            ReadOnlySpan<byte> protocols = field.Value(bytes);
            int position = 0;
            int count = 0;
            while (HttpCharacters.TryReadListElement(protocols, ref position, out ReadOnlySpan<byte> protocol))
            {
                count++;
                if (!Ascii.EqualsIgnoreCase(protocol, "websocket"u8) && !Ascii.EqualsIgnoreCase(protocol, "SPDY/3.1"u8))
                {
                    return false;
                }
            }

            if (count != 1)
            {
                return false;
            }
        }

        return upgradeFields == 1;
    }

    /// <summary>
    /// Sec-WebSocket-Protocol without its <c>base64url.bearer.authorization.k8s.io.*</c> entries (kube-apiserver
    /// would authenticate the request with that token instead of our impersonation); the other entries
    /// (e.g. <c>v5.channel.k8s.io</c>) are kept in order, and the field is dropped when none remain.
    /// </summary>
    private static void AppendSubprotocolsWithoutBearer(Span<byte> destination, ref int position, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        int start = position;
        bool any = false;
        int cursor = 0;
        while (HttpCharacters.TryReadListElement(value, ref cursor, out ReadOnlySpan<byte> protocol))
        {
            if (HeaderNames.StartsWithIgnoreCase(protocol, HeaderNames.BearerSubprotocolPrefix))
            {
                continue;
            }

            if (!any)
            {
                Append(destination, ref position, name);
                Append(destination, ref position, ": "u8);
                any = true;
            }
            else
            {
                Append(destination, ref position, ", "u8);
            }

            Append(destination, ref position, protocol);
        }

        if (any)
        {
            Append(destination, ref position, "\r\n"u8);
        }
        else
        {
            position = start;
        }
    }

    private static void AppendField(Span<byte> destination, ref int position, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Append(destination, ref position, name);
        Append(destination, ref position, ": "u8);
        Append(destination, ref position, value);
        Append(destination, ref position, "\r\n"u8);
    }

    private static void Append(Span<byte> destination, ref int position, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[position..]);
        position += bytes.Length;
    }
}
