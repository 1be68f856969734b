using System.Buffers;
using System.Text;

namespace Appliance.Proxy;

/// <summary>
/// A strict HTTP/1.1 response-head parser for what the cluster's API server sends back. The upstream is
/// trusted more than a client, but the framing of its answer decides where the next response starts on a
/// pooled connection, so anything ambiguous is refused (502) rather than guessed.
/// </summary>
internal static class ResponseHeadParser
{
    /// <summary>Parses one response head from the start of <paramref name="buffer"/>.</summary>
    /// <param name="requestWasHead">The request was HEAD: whatever the framing fields say, there is no body (RFC 9110 section 9.3.2).</param>
    /// <returns>True when complete; false with <paramref name="invalid"/> false when more is needed.</returns>
    public static bool TryParse(in ReadOnlySequence<byte> buffer, ResponseHead head, bool requestWasHead, out SequencePosition consumed, out bool invalid)
    {
        head.Reset();
        consumed = buffer.Start;
        invalid = false;
        ReadOnlySequence<byte> limited = buffer.Length > ResponseHead.MaxHeadBytes ? buffer.Slice(0, ResponseHead.MaxHeadBytes) : buffer;
        long headLength = HttpHead.FindLength(limited);
        if (headLength < 0)
        {
            invalid = buffer.Length >= ResponseHead.MaxHeadBytes;
            return false;
        }

        ReadOnlySpan<byte> bytes = head.Attach(limited.Slice(0, headLength));
        if (!TryParseHead(bytes, head, requestWasHead))
        {
            head.Reset();
            invalid = true;
            return false;
        }

        consumed = buffer.GetPosition(headLength);
        return true;
    }

    private static bool TryParseHead(ReadOnlySpan<byte> bytes, ResponseHead head, bool requestWasHead)
    {
        int lineEnd = bytes.IndexOf((byte)'\n');
        if (!IsCrlfLine(bytes, 0, lineEnd) || !TryParseStatusLine(bytes, lineEnd - 1, head, out bool http10))
        {
            return false;
        }

        long contentLength = -1;
        bool hasTransferEncoding = false;
        bool chunked = false;
        bool close = http10;
        bool hasConnection = false;
        int lineStart = lineEnd + 1;
        while (true)
        {
            lineEnd = lineStart + bytes[lineStart..].IndexOf((byte)'\n');
            if (!IsCrlfLine(bytes, lineStart, lineEnd))
            {
                return false;
            }

            if (lineEnd - 1 == lineStart)
            {
                break;
            }

            ReadOnlySpan<byte> line = bytes[lineStart..(lineEnd - 1)];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[0] == ' ' || line[0] == '\t' || !HttpCharacters.IsToken(line[..colon]))
            {
                return false; // obs-fold, no colon, whitespace before the colon, a non-token name.
            }

            ReadOnlySpan<byte> rawValue = line[(colon + 1)..];
            if (rawValue.ContainsAny(HttpCharacters.InvalidFieldValue))
            {
                return false;
            }

            ReadOnlySpan<byte> value = HttpCharacters.TrimWhitespace(rawValue);
            int valueStart = value.IsEmpty ? lineEnd - 1 : lineStart + colon + 1 + (rawValue.Length - rawValue.TrimStart(" \t"u8).Length);
            HeaderKind kind = HeaderNames.Classify(line[..colon]);
            if (!head.TryAddField(new HeaderField(lineStart, colon, valueStart, value.Length, kind)))
            {
                return false;
            }

            switch (kind)
            {
                case HeaderKind.ContentLength:
                    if (!TryReadLength(value, out long length) || (contentLength >= 0 && contentLength != length))
                    {
                        return false;
                    }

                    contentLength = length;
                    break;
                case HeaderKind.TransferEncoding:
                    if (hasTransferEncoding || !Ascii.EqualsIgnoreCase(value, "chunked"u8))
                    {
                        return false; // Only a single "chunked" is unambiguous; the proxy decodes no other coding.
                    }

                    hasTransferEncoding = true;
                    chunked = true;
                    break;
                case HeaderKind.Connection:
                    hasConnection = true;
                    int position = 0;
                    while (HttpCharacters.TryReadListElement(value, ref position, out ReadOnlySpan<byte> option))
                    {
                        if (Ascii.EqualsIgnoreCase(option, "close"u8))
                        {
                            close = true;
                        }
                        else if (http10 && Ascii.EqualsIgnoreCase(option, "keep-alive"u8))
                        {
                            close = false;
                        }
                    }

                    break;
            }

            lineStart = lineEnd + 1;
        }

        if (hasTransferEncoding && contentLength >= 0)
        {
            return false; // RFC 9112 section 6.3 rule 3: a smuggling shape, from whichever side.
        }

        int status = head.StatusCode;
        ResponseFraming framing;
        if (requestWasHead || status < 200 || status == 204 || status == 304)
        {
            framing = ResponseFraming.None;
        }
        else if (chunked)
        {
            framing = ResponseFraming.Chunked;
        }
        else if (contentLength >= 0)
        {
            framing = ResponseFraming.ContentLength;
        }
        else
        {
            framing = ResponseFraming.UntilClose;
            close = true;
        }

        head.SetFraming(framing, contentLength, close, hasConnection);
        return true;
    }

    private static bool IsCrlfLine(ReadOnlySpan<byte> bytes, int lineStart, int lineEnd) =>
        lineEnd > lineStart && bytes[lineEnd - 1] == '\r' && !bytes[lineStart..(lineEnd - 1)].Contains((byte)'\r');

    /// <summary>status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] (RFC 9112 section 4); a missing last SP is tolerated.</summary>
    private static bool TryParseStatusLine(ReadOnlySpan<byte> bytes, int lineLength, ResponseHead head, out bool http10)
    {
        ReadOnlySpan<byte> line = bytes[..lineLength];
        http10 = false;
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || (line[7] != '1' && line[7] != '0') || line[8] != ' ')
        {
            return false;
        }

        http10 = line[7] == '0';
        uint d0 = (uint)(line[9] - '0'), d1 = (uint)(line[10] - '0'), d2 = (uint)(line[11] - '0');
        if (d0 is < 1 or > 5 || d1 > 9 || d2 > 9)
        {
            return false;
        }

        int reasonStart = 12;
        if (line.Length > 12)
        {
            if (line[12] != ' ')
            {
                return false;
            }

            reasonStart = 13;
        }

        ReadOnlySpan<byte> reason = line[reasonStart..];
        if (reason.ContainsAny(HttpCharacters.InvalidFieldValue))
        {
            return false;
        }

        head.SetStatusLine((int)((d0 * 100) + (d1 * 10) + d2), reasonStart, reason.Length);
        return true;
    }

    private static bool TryReadLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18)
        {
            return false;
        }

        foreach (byte digit in value)
        {
            uint d = (uint)(digit - '0');
            if (d > 9)
            {
                return false;
            }

            length = (length * 10) + d;
        }

        return true;
    }
}
