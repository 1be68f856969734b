using System.Buffers;
using System.Text;

namespace Appliance.Proxy;

/// <summary>
/// A strict HTTP/1.1 request-head parser (RFC 9112 sections 2-6). Strict because a proxy that accepts
/// what the upstream would read differently is a request-smuggling hole: everything two parsers might
/// disagree on is rejected here with a named <see cref="RequestHeadError"/>, never an exception.
/// </summary>
internal static class RequestHeadParser
{
    private static ReadOnlySpan<byte> Http11 => "HTTP/1.1"u8;
    private static ReadOnlySpan<byte> Http10 => "HTTP/1.0"u8;

    /// <summary>
    /// Parses one request head from the start of <paramref name="buffer"/>.
    /// </summary>
    /// <returns>
    /// True with <paramref name="consumed"/> just past the head's final CRLF CRLF. False with
    /// <paramref name="error"/> None when more data is needed, or with the reason the request is rejected;
    /// in both false cases <paramref name="consumed"/> is the buffer's start (nothing is consumed).
    /// </returns>
    /// <remarks>
    /// On "need more" the caller advances with <c>AdvanceTo(buffer.Start, buffer.End)</c> so it wakes only for
    /// new bytes; each retry scans again from the start, at most the head limit, and a client trickling a head
    /// byte by byte is the slow-client timeout's job. On success the spans in <paramref name="head"/> stay
    /// valid until the reader is advanced past <paramref name="consumed"/>.
    /// </remarks>
    public static bool TryParse(in ReadOnlySequence<byte> buffer, RequestHead head, out SequencePosition consumed, out RequestHeadError error)
    {
        head.Reset();
        consumed = buffer.Start;

        // Slice to the limit before searching (Kestrel does the same), so a client can make us scan at most
        // MaxHeadBytes however much it sends.
        ReadOnlySequence<byte> limited = buffer.Length > head.MaxHeadBytes ? buffer.Slice(0, head.MaxHeadBytes) : buffer;
        long headLength = HttpHead.FindLength(limited);
        if (headLength < 0)
        {
            error = IncompleteHeadError(limited, buffer.Length, head);
            return false;
        }

        ReadOnlySpan<byte> bytes = head.Attach(limited.Slice(0, headLength));
        error = ParseHead(bytes, head);
        if (error != RequestHeadError.None)
        {
            head.Reset();
            return false;
        }

        consumed = buffer.GetPosition(headLength);
        return true;
    }

    /// <summary>No terminator yet: need more data, unless a limit is already exceeded.</summary>
    private static RequestHeadError IncompleteHeadError(in ReadOnlySequence<byte> limited, long available, RequestHead head)
    {
        if (available >= head.MaxHeadBytes)
        {
            return RequestHeadError.HeadTooLarge;
        }

        // Fail a request line over its limit now rather than waiting for the whole head limit.
        if (limited.Length > head.MaxRequestLineBytes && limited.Slice(0, head.MaxRequestLineBytes).PositionOf((byte)'\n') is null)
        {
            return RequestHeadError.RequestLineTooLong;
        }

        // A head with bare LF line ends never contains CRLF CRLF; answer it now instead of at the slow-client timeout.
        return FindBareLineEnding(limited);
    }

    /// <summary>
    /// The first LF without a CR before it, or CR followed by anything but LF, in bytes received so far.
    /// A CR as the last byte is not an error yet: its LF may be in the next read.
    /// </summary>
    private static RequestHeadError FindBareLineEnding(in ReadOnlySequence<byte> received)
    {
        bool previousWasCr = false;
        foreach (ReadOnlyMemory<byte> memory in received)
        {
            ReadOnlySpan<byte> span = memory.Span;
            if (span.IsEmpty)
            {
                continue;
            }

            // A CR that ended the previous segment is judged by this segment's first byte, before anything
            // later, so the answer does not depend on where the segments split.
            if (previousWasCr && span[0] != '\n')
            {
                return RequestHeadError.BareCarriageReturn;
            }

            int position = 0;
            while (true)
            {
                int relative = span[position..].IndexOfAny((byte)'\r', (byte)'\n');
                if (relative < 0)
                {
                    break;
                }

                int i = position + relative;
                if (span[i] == '\n')
                {
                    if (!(i > 0 ? span[i - 1] == '\r' : previousWasCr))
                    {
                        return RequestHeadError.BareLineFeed;
                    }
                }
                else if (i + 1 < span.Length && span[i + 1] != '\n')
                {
                    return RequestHeadError.BareCarriageReturn;
                }

                position = i + 1;
            }

            previousWasCr = span[^1] == '\r';
        }

        return RequestHeadError.None;
    }

    private static RequestHeadError ParseHead(ReadOnlySpan<byte> bytes, RequestHead head)
    {
        int lineEnd = bytes.IndexOf((byte)'\n');
        RequestHeadError error = CheckLineEnding(bytes, 0, lineEnd);
        if (error != RequestHeadError.None)
        {
            return error;
        }

        if (lineEnd + 1 > head.MaxRequestLineBytes)
        {
            return RequestHeadError.RequestLineTooLong;
        }

        error = ParseRequestLine(bytes[..(lineEnd - 1)], head);
        if (error != RequestHeadError.None)
        {
            return error;
        }

        var framing = new FramingState { ContentLength = -1 };
        int lineStart = lineEnd + 1;
        while (true)
        {
            int relativeEnd = bytes[lineStart..].IndexOf((byte)'\n');
            lineEnd = lineStart + relativeEnd;
            error = CheckLineEnding(bytes, lineStart, lineEnd);
            if (error != RequestHeadError.None)
            {
                return error;
            }

            if (lineEnd - 1 == lineStart)
            {
                break; // The empty line that ends the head; the terminator search guarantees it is the last.
            }

            error = ParseFieldLine(bytes, lineStart, lineEnd - 1, head, ref framing);
            if (error != RequestHeadError.None)
            {
                return error;
            }

            lineStart = lineEnd + 1;
        }

        return CheckFraming(head, ref framing);
    }

    /// <summary>Every line ends in CRLF; a CR anywhere else is bare (RFC 9112 section 2.2).</summary>
    private static RequestHeadError CheckLineEnding(ReadOnlySpan<byte> bytes, int lineStart, int lineEnd)
    {
        // The head ends in CRLF CRLF, so every line has an LF; lineEnd >= lineStart.
        if (lineEnd == lineStart || bytes[lineEnd - 1] != '\r')
        {
            return RequestHeadError.BareLineFeed;
        }

        return bytes[lineStart..(lineEnd - 1)].Contains((byte)'\r') ? RequestHeadError.BareCarriageReturn : RequestHeadError.None;
    }

    /// <summary>request-line = method SP request-target SP HTTP-version (RFC 9112 section 3), single spaces.</summary>
    private static RequestHeadError ParseRequestLine(ReadOnlySpan<byte> line, RequestHead head)
    {
        int methodEnd = line.IndexOf((byte)' ');
        if (methodEnd < 0)
        {
            return RequestHeadError.InvalidRequestLine;
        }

        if (!HttpCharacters.IsToken(line[..methodEnd]))
        {
            return methodEnd == 0 ? RequestHeadError.InvalidRequestLine : RequestHeadError.InvalidMethod;
        }

        int targetStart = methodEnd + 1;
        int targetLength = line[targetStart..].IndexOf((byte)' ');
        if (targetLength <= 0)
        {
            return RequestHeadError.InvalidRequestLine;
        }

        ReadOnlySpan<byte> target = line.Slice(targetStart, targetLength);
        RequestHeadError error = CheckOriginForm(target);
        if (error != RequestHeadError.None)
        {
            return error;
        }

        ReadOnlySpan<byte> version = line[(targetStart + targetLength + 1)..];
        HttpProtocolVersion parsedVersion;
        if (version.SequenceEqual(Http11))
        {
            parsedVersion = HttpProtocolVersion.Http11;
        }
        else if (version.SequenceEqual(Http10))
        {
            parsedVersion = HttpProtocolVersion.Http10;
        }
        else
        {
            // "GET / HTTP/1.1 " or two spaces land here too: the version is not exactly one of the two.
            return version.IsEmpty || version.Contains((byte)' ') ? RequestHeadError.InvalidRequestLine : RequestHeadError.UnsupportedVersion;
        }

        head.SetRequestLine(methodEnd, targetStart, targetLength, parsedVersion);
        return RequestHeadError.None;
    }

    /// <summary>origin-form = absolute-path [ "?" query ] (RFC 9112 section 3.2.1), with valid percent-encodings.</summary>
    private static RequestHeadError CheckOriginForm(ReadOnlySpan<byte> target)
    {
        if (target[0] != '/')
        {
            return RequestHeadError.TargetNotOriginForm;
        }

        if (target.ContainsAnyExcept(HttpCharacters.OriginFormTarget))
        {
            return RequestHeadError.InvalidRequestTarget;
        }

        int percent = target.IndexOf((byte)'%');
        while (percent >= 0)
        {
            if (percent + 2 >= target.Length || !HttpCharacters.IsHexDigit(target[percent + 1]) || !HttpCharacters.IsHexDigit(target[percent + 2]))
            {
                return RequestHeadError.InvalidRequestTarget;
            }

            int next = target[(percent + 3)..].IndexOf((byte)'%');
            percent = next < 0 ? -1 : percent + 3 + next;
        }

        return RequestHeadError.None;
    }

    /// <summary>field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5).</summary>
    private static RequestHeadError ParseFieldLine(ReadOnlySpan<byte> bytes, int lineStart, int lineEnd, RequestHead head, ref FramingState framing)
    {
        ReadOnlySpan<byte> line = bytes[lineStart..lineEnd];
        if (line[0] == ' ' || line[0] == '\t')
        {
            return RequestHeadError.ObsoleteLineFolding;
        }

        int colon = line.IndexOf((byte)':');
        if (colon < 0)
        {
            return RequestHeadError.MissingColon;
        }

        ReadOnlySpan<byte> name = line[..colon];
        if (name.IsEmpty)
        {
            return RequestHeadError.InvalidFieldName;
        }

        byte last = name[^1];
        if (last == ' ' || last == '\t')
        {
            return RequestHeadError.WhitespaceBeforeColon;
        }

        if (!HttpCharacters.IsToken(name))
        {
            return RequestHeadError.InvalidFieldName;
        }

        ReadOnlySpan<byte> rawValue = line[(colon + 1)..];
        if (rawValue.ContainsAny(HttpCharacters.InvalidFieldValue))
        {
            return RequestHeadError.InvalidFieldValue;
        }

        ReadOnlySpan<byte> value = HttpCharacters.TrimWhitespace(rawValue);
        int valueStart = value.IsEmpty ? lineEnd : lineStart + colon + 1 + (rawValue.Length - rawValue.TrimStart(" \t"u8).Length);
        HeaderKind kind = HeaderNames.Classify(name);
        if (!head.TryAddField(new HeaderField(lineStart, colon, valueStart, value.Length, kind)))
        {
            return RequestHeadError.TooManyHeaderFields;
        }

        return kind switch
        {
            HeaderKind.Host => ++framing.HostCount > 1 ? RequestHeadError.MultipleHost : RequestHeadError.None,
            HeaderKind.ContentLength => ReadContentLength(value, ref framing),
            HeaderKind.TransferEncoding => ReadTransferEncoding(value, ref framing),
            HeaderKind.Connection => ReadConnection(value, ref framing),
            HeaderKind.Upgrade => SetUpgrade(ref framing),
            _ => RequestHeadError.None,
        };
    }

    private static RequestHeadError SetUpgrade(ref FramingState framing)
    {
        framing.HasUpgrade = true;
        return RequestHeadError.None;
    }

    /// <summary>
    /// Content-Length = 1*DIGIT (RFC 9110 section 8.6). Repeated fields with the same value are accepted
    /// (the RFC allows it and the rewriter sends one); a comma list is rejected rather than interpreted.
    /// </summary>
    private static RequestHeadError ReadContentLength(ReadOnlySpan<byte> value, ref FramingState framing)
    {
        // 18 digits always fit in a long; longer is no plausible body and would need overflow checks.
        if (value.IsEmpty || value.Length > 18)
        {
            return RequestHeadError.InvalidContentLength;
        }

        long length = 0;
        foreach (byte digit in value)
        {
            uint d = (uint)(digit - '0');
            if (d > 9)
            {
                return RequestHeadError.InvalidContentLength;
            }

            length = (length * 10) + d;
        }

        if (framing.ContentLength >= 0 && framing.ContentLength != length)
        {
            return RequestHeadError.ConflictingContentLength;
        }

        framing.ContentLength = length;
        return RequestHeadError.None;
    }

    /// <summary>Collects the codings of every Transfer-Encoding field, in order (RFC 9112 section 6.1).</summary>
    private static RequestHeadError ReadTransferEncoding(ReadOnlySpan<byte> value, ref FramingState framing)
    {
        framing.HasTransferEncoding = true;
        int position = 0;
        while (HttpCharacters.TryReadListElement(value, ref position, out ReadOnlySpan<byte> coding))
        {
            framing.CodingCount++;
            framing.LastCodingIsChunked = Ascii.EqualsIgnoreCase(coding, "chunked"u8);
        }

        return RequestHeadError.None;
    }

    private static RequestHeadError ReadConnection(ReadOnlySpan<byte> value, ref FramingState framing)
    {
        framing.HasConnection = true;
        int position = 0;
        while (HttpCharacters.TryReadListElement(value, ref position, out ReadOnlySpan<byte> option))
        {
            if (Ascii.EqualsIgnoreCase(option, "close"u8))
            {
                framing.HasClose = true;
            }
            else if (Ascii.EqualsIgnoreCase(option, "upgrade"u8))
            {
                framing.ConnectionListsUpgrade = true;
            }
        }

        return RequestHeadError.None;
    }

    /// <summary>The message-body length rules of RFC 9112 section 6.3, rejecting every ambiguous case.</summary>
    private static RequestHeadError CheckFraming(RequestHead head, ref FramingState framing)
    {
        bool http11 = head.Version == HttpProtocolVersion.Http11;
        if (http11 && framing.HostCount == 0)
        {
            return RequestHeadError.MissingHost;
        }

        if (framing.HasTransferEncoding)
        {
            if (!http11)
            {
                return RequestHeadError.TransferEncodingInHttp10;
            }

            if (framing.ContentLength >= 0)
            {
                return RequestHeadError.ContentLengthWithTransferEncoding;
            }

            if (!framing.LastCodingIsChunked)
            {
                return RequestHeadError.TransferEncodingNotChunked;
            }

            if (framing.CodingCount != 1)
            {
                return RequestHeadError.UnsupportedTransferCoding;
            }
        }

        head.SetFraming(
            framing.ContentLength,
            isChunked: framing.HasTransferEncoding,
            hasConnectionField: framing.HasConnection,
            hasConnectionClose: framing.HasClose,
            isUpgradeRequest: http11 && framing.HasUpgrade && framing.ConnectionListsUpgrade);
        return RequestHeadError.None;
    }

    private struct FramingState
    {
        public long ContentLength;
        public int HostCount;
        public bool HasTransferEncoding;
        public int CodingCount;
        public bool LastCodingIsChunked;
        public bool HasConnection;
        public bool HasClose;
        public bool HasUpgrade;
        public bool ConnectionListsUpgrade;
    }
}
