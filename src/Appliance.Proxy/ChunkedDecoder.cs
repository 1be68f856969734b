using System.Buffers;
using System.Buffers.Text;

namespace Appliance.Proxy;

/// <summary>What <see cref="ChunkedDecoder.Decode"/> got to.</summary>
internal enum ChunkedStatus : byte
{
    NeedMore,
    Done,
    Invalid,
}

/// <summary>
/// Reads a chunked body (RFC 9112 section 7.1) incrementally and writes it out again in canonical form:
/// plain hex sizes, no chunk extensions, no trailer fields. The other side sees framing we wrote, never
/// the sender's, so a quirk in the sender's framing cannot be read two ways (request smuggling), and a
/// trailer cannot carry a header past the rewriter. With <c>dechunk</c> only the data is written (an
/// HTTP/1.0 client, which cannot read chunked).
/// </summary>
internal struct ChunkedDecoder
{
    /// <summary>A chunk-size line with extensions; Kestrel's limit for the whole line is similar.</summary>
    private const int MaxSizeLineLength = 4096;

    /// <summary>Kestrel's header limit applies to trailers too.</summary>
    private const int MaxTrailerBytes = 32 * 1024;

    /// <summary>15 hex digits fit in a long; a longer size is no real body.</summary>
    private const int MaxSizeDigits = 15;

    private State _state;
    private long _remaining;
    private int _trailerBytes;

    private enum State : byte
    {
        Size,
        Data,
        DataEnd,
        Trailer,
        Done,
    }

    public readonly bool IsDone => _state == State.Done;

    /// <summary>
    /// Consumes what it can of <paramref name="input"/>, writing to <paramref name="output"/>. On NeedMore the
    /// caller advances to <paramref name="consumed"/>, examines everything, and calls again with more data.
    /// </summary>
    /// <param name="dataBytes">Body bytes (without framing) written by this call.</param>
    public ChunkedStatus Decode(in ReadOnlySequence<byte> input, IBufferWriter<byte> output, bool dechunk, out SequencePosition consumed, out long dataBytes)
    {
        var reader = new SequenceReader<byte>(input);
        dataBytes = 0;
        ChunkedStatus status = Run(ref reader, output, dechunk, ref dataBytes);
        consumed = reader.Position;
        return status;
    }

    private ChunkedStatus Run(ref SequenceReader<byte> reader, IBufferWriter<byte> output, bool dechunk, ref long dataBytes)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Size:
                {
                    if (!TryReadLine(ref reader, MaxSizeLineLength, out ReadOnlySequence<byte> line, out bool tooLong))
                    {
                        return tooLong ? ChunkedStatus.Invalid : ChunkedStatus.NeedMore;
                    }

                    if (!TryParseSizeLine(line, out long size))
                    {
                        return ChunkedStatus.Invalid;
                    }

                    if (size == 0)
                    {
                        _state = State.Trailer;
                        break;
                    }

                    if (!dechunk)
                    {
                        Span<byte> span = output.GetSpan(20);
                        Utf8Formatter.TryFormat(size, span, out int written, new StandardFormat('X'));
                        span[written++] = (byte)'\r';
                        span[written++] = (byte)'\n';
                        output.Advance(written);
                    }

                    _remaining = size;
                    _state = State.Data;
                    break;
                }

                case State.Data:
                {
                    long available = Math.Min(_remaining, reader.Remaining);
                    if (available == 0)
                    {
                        return ChunkedStatus.NeedMore;
                    }

                    ReadOnlySequence<byte> data = reader.UnreadSequence.Slice(0, available);
                    foreach (ReadOnlyMemory<byte> segment in data)
                    {
                        output.Write(segment.Span);
                    }

                    reader.Advance(available);
                    dataBytes += available;
                    _remaining -= available;
                    if (_remaining == 0)
                    {
                        _state = State.DataEnd;
                    }

                    break;
                }

                case State.DataEnd:
                    if (reader.Remaining < 2)
                    {
                        // A lone CR is judged when its LF can be seen; anything else is wrong at once.
                        return reader.TryPeek(out byte first) && first != '\r' ? ChunkedStatus.Invalid : ChunkedStatus.NeedMore;
                    }

                    if (!reader.IsNext("\r\n"u8, advancePast: true))
                    {
                        return ChunkedStatus.Invalid;
                    }

                    if (!dechunk)
                    {
                        output.Write("\r\n"u8);
                    }

                    _state = State.Size;
                    break;

                case State.Trailer:
                {
                    if (!TryReadLine(ref reader, MaxTrailerBytes - _trailerBytes, out ReadOnlySequence<byte> line, out bool tooLong))
                    {
                        return tooLong ? ChunkedStatus.Invalid : ChunkedStatus.NeedMore;
                    }

                    if (line.IsEmpty)
                    {
                        if (!dechunk)
                        {
                            output.Write("0\r\n\r\n"u8);
                        }

                        _state = State.Done;
                        return ChunkedStatus.Done;
                    }

                    _trailerBytes += (int)line.Length + 2;
                    if (!IsValidTrailerLine(line))
                    {
                        return ChunkedStatus.Invalid;
                    }

                    break; // Validated and dropped.
                }

                case State.Done:
                    return ChunkedStatus.Done;
            }
        }
    }

    /// <summary>A line ending in CRLF, without it; any other CR or LF in it is invalid (checked by the callers' grammar).</summary>
    private static bool TryReadLine(ref SequenceReader<byte> reader, int maxLength, out ReadOnlySequence<byte> line, out bool tooLong)
    {
        SequenceReader<byte> probe = reader;
        if (!probe.TryReadTo(out ReadOnlySequence<byte> withCr, (byte)'\n'))
        {
            tooLong = reader.Remaining > maxLength;
            line = default;
            return false;
        }

        tooLong = withCr.Length > maxLength;
        if (tooLong || withCr.IsEmpty || withCr.Slice(withCr.Length - 1).FirstSpan[0] != '\r')
        {
            tooLong = true; // A bare LF is as fatal as an overlong line: report it through the same path.
            line = default;
            return false;
        }

        line = withCr.Slice(0, withCr.Length - 1);
        reader = probe;
        return true;
    }

    /// <summary>chunk-size [ chunk-ext ]: 1*HEXDIG, then nothing, or BWS ";" and extension text without control characters.</summary>
    private static bool TryParseSizeLine(in ReadOnlySequence<byte> line, out long size)
    {
        if (line.IsSingleSegment)
        {
            return TryParseSizeLine(line.FirstSpan, out size);
        }

        Span<byte> copy = stackalloc byte[MaxSizeLineLength];
        size = 0;
        if (line.Length > copy.Length)
        {
            return false;
        }

        line.CopyTo(copy);
        return TryParseSizeLine(copy[..(int)line.Length], out size);
    }

    private static bool TryParseSizeLine(ReadOnlySpan<byte> text, out long size)
    {
        size = 0;
        int digits = 0;
        while (digits < text.Length && HttpCharacters.IsHexDigit(text[digits]))
        {
            digits++;
        }

        if (digits == 0 || digits > MaxSizeDigits)
        {
            return false;
        }

        foreach (byte digit in text[..digits])
        {
            int value = digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10;
            size = (size << 4) | (uint)value;
        }

        ReadOnlySpan<byte> rest = text[digits..];
        if (rest.IsEmpty)
        {
            return true;
        }

        ReadOnlySpan<byte> extensions = rest.TrimStart(" \t"u8);
        return !extensions.IsEmpty && extensions[0] == ';' && !extensions.ContainsAny(HttpCharacters.InvalidFieldValue);
    }

    private static bool IsValidTrailerLine(in ReadOnlySequence<byte> line)
    {
        if (line.Length > MaxTrailerBytes)
        {
            return false;
        }

        byte[]? rented = null;
        Span<byte> copy = line.Length <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent((int)line.Length));
        try
        {
            line.CopyTo(copy);
            ReadOnlySpan<byte> text = copy[..(int)line.Length];
            int colon = text.IndexOf((byte)':');
            return colon > 0 && HttpCharacters.IsToken(text[..colon]) && !text[(colon + 1)..].ContainsAny(HttpCharacters.InvalidFieldValue);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
