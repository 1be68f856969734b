using System.Buffers;
using System.Text;

namespace Appliance.Proxy;

/// <summary>What request and response heads share: finding the end of a head, holding its bytes, Connection's list.</summary>
internal static class HttpHead
{
    private static ReadOnlySpan<byte> Terminator => "\r\n\r\n"u8;

    /// <summary>The length up to and including the first CRLF CRLF, or -1.</summary>
    public static long FindLength(in ReadOnlySequence<byte> limited)
    {
        // The common case, the whole head in the first segment: one vectorized search. SequenceReader's
        // multi-byte TryReadTo stops at every CR; ProxyRequestHeadBenchmarks.Parse went from ~430 to ~290 ns.
        int inFirst = limited.FirstSpan.IndexOf(Terminator);
        if (inFirst >= 0)
        {
            return inFirst + Terminator.Length;
        }

        if (limited.IsSingleSegment)
        {
            return -1;
        }

        var reader = new SequenceReader<byte>(limited);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, Terminator, advancePastDelimiter: true) ? reader.Consumed : -1;
    }

    /// <summary>
    /// The head's bytes: the first segment itself, or a copy when they straddle segments, into
    /// <paramref name="straddleCopy"/>. It is grown in powers of two and kept for the connection: a Raspberry
    /// Pi holding hundreds of watch connections should not pay the whole head limit for each one that ever
    /// saw a straddling head.
    /// </summary>
    public static ReadOnlyMemory<byte> Attach(in ReadOnlySequence<byte> head, ref byte[]? straddleCopy, int maxHeadBytes)
    {
        if (head.IsSingleSegment)
        {
            return head.First;
        }

        int length = (int)head.Length;
        if (straddleCopy is null || straddleCopy.Length < length)
        {
            straddleCopy = new byte[Math.Min(maxHeadBytes, (int)Math.Max(1024, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length)))];
        }

        head.CopyTo(straddleCopy);
        return straddleCopy.AsMemory(0, length);
    }

    /// <summary>Whether a <c>Connection</c> field of the head lists <paramref name="name"/> (RFC 9110 section 7.6.1).</summary>
    public static bool IsNamedByConnection(ReadOnlySpan<byte> bytes, ReadOnlySpan<HeaderField> fields, ReadOnlySpan<byte> name)
    {
        foreach (HeaderField field in fields)
        {
            if (field.Kind != HeaderKind.Connection)
            {
                continue;
            }

            ReadOnlySpan<byte> options = field.Value(bytes);
            int position = 0;
            while (HttpCharacters.TryReadListElement(options, ref position, out ReadOnlySpan<byte> option))
            {
                if (Ascii.EqualsIgnoreCase(option, name))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
