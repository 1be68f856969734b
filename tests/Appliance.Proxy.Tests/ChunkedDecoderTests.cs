using System.Buffers;
using System.Text;

namespace Appliance.Proxy.Tests;

public class ChunkedDecoderTests
{
    public static TheoryData<string, string> Valid => new()
    {
        { "5\r\nhello\r\n0\r\n\r\n", "hello" },
        { "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world" },
        { "A\r\n0123456789\r\n0\r\nX-Trailer: a\r\nY: b\r\n\r\n", "0123456789" },
        { "000\r\n\r\n", "" },
        { "5 ; a=\"b\"\r\nhello\r\n0\r\n\r\n", "hello" },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Decode_EveryByteSplit_WritesCanonicalChunksAndTheSameData(string body, string data)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(body);
        for (int split = 0; split <= bytes.Length; split++)
        {
            (ChunkedStatus status, string written, long dataBytes) = DecodeInTwoReads(bytes, split, dechunk: false);
            Assert.Equal(ChunkedStatus.Done, status);
            Assert.Equal(data.Length, dataBytes);

            // Data may be written in pieces, so compare what the other side would read.
            Assert.Equal(data, Dechunk(written));
            Assert.EndsWith("0\r\n\r\n", written, StringComparison.Ordinal);
            Assert.DoesNotContain(";", written, StringComparison.Ordinal);
            Assert.DoesNotContain(":", written, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Decode_Dechunked_WritesOnlyTheData(string body, string data)
    {
        (ChunkedStatus status, string written, _) = DecodeInTwoReads(Encoding.ASCII.GetBytes(body), 3, dechunk: true);
        Assert.Equal(ChunkedStatus.Done, status);
        Assert.Equal(data, written);
    }

    [Theory]
    [InlineData("zz\r\nhello\r\n0\r\n\r\n")]
    [InlineData("0x5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("-5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("ffffffffffffffffff\r\nhello\r\n0\r\n\r\n")]
    [InlineData("3\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5\r\nhelloXY0\r\n\r\n")]
    [InlineData("5\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a\rb\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5 5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("\r\nhello\r\n0\r\n\r\n")]
    [InlineData("0\r\nGET / HTTP/1.1\r\n\r\n")]
    [InlineData("0\r\nX: a\0b\r\n\r\n")]
    [InlineData("0\r\n: novalue\r\n\r\n")]
    public void Decode_Invalid_IsRejectedWhateverTheSplit(string body)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(body);
        for (int split = 0; split <= bytes.Length; split++)
        {
            Assert.Equal(ChunkedStatus.Invalid, DecodeInTwoReads(bytes, split, dechunk: false).Status);
        }
    }

    [Fact]
    public void Decode_OverlongSizeLine_IsRejectedWithoutTheLineEnd()
    {
        var decoder = default(ChunkedDecoder);
        var output = new ArrayBufferWriter<byte>();
        byte[] bytes = Encoding.ASCII.GetBytes("5;" + new string('a', 5000));
        Assert.Equal(ChunkedStatus.Invalid, decoder.Decode(new ReadOnlySequence<byte>(bytes), output, false, out _, out _));
    }

    /// <summary>Feeds the body as two reads, the way a pipe would: what was not consumed is offered again with more.</summary>
    private static (ChunkedStatus Status, string Written, long DataBytes) DecodeInTwoReads(byte[] bytes, int split, bool dechunk)
    {
        var decoder = default(ChunkedDecoder);
        var output = new ArrayBufferWriter<byte>();
        long dataBytes = 0;
        var first = new ReadOnlySequence<byte>(bytes, 0, split);
        ChunkedStatus status = decoder.Decode(first, output, dechunk, out SequencePosition consumed, out long data);
        dataBytes += data;
        if (status != ChunkedStatus.NeedMore)
        {
            return (status, Encoding.ASCII.GetString(output.WrittenSpan), dataBytes);
        }

        int offset = (int)first.Slice(0, consumed).Length;
        ReadOnlySequence<byte> rest = Segments.Split(bytes[offset..], Math.Min(1, bytes.Length - offset));
        status = decoder.Decode(rest, output, dechunk, out _, out data);
        dataBytes += data;
        return (status, Encoding.ASCII.GetString(output.WrittenSpan), dataBytes);
    }

    private static string Dechunk(string chunked)
    {
        var data = new StringBuilder();
        int position = 0;
        while (true)
        {
            int lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            int size = Convert.ToInt32(chunked[position..lineEnd], 16);
            if (size == 0)
            {
                return data.ToString();
            }

            data.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }
    }
}
