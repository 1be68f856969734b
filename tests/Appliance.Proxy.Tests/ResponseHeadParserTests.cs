using System.Buffers;
using System.Text;

namespace Appliance.Proxy.Tests;

public class ResponseHeadParserTests
{
    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", 200, "ContentLength", 12L, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 200, "Chunked", -1L, false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", 200, "UntilClose", -1L, true)]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", 204, "None", -1L, false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, "None", 10L, false)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n", 101, "None", -1L, false)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n", 100, "None", -1L, false)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n", 200, "ContentLength", 2L, true)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", 200, "ContentLength", 2L, true)]
    [InlineData("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n", 200, "ContentLength", 2L, false)]
    [InlineData("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200, "ContentLength", 0L, false)]
    [InlineData("HTTP/1.1 404 \r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 404, "ContentLength", 1L, false)]
    public void TryParse_Valid(string head, int status, string framing, long contentLength, bool close)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(head + "BODY");
        var response = new ResponseHead();
        for (int split = 1; split < bytes.Length; split++)
        {
            ReadOnlySequence<byte> buffer = Segments.Split(bytes, split);
            Assert.True(ResponseHeadParser.TryParse(buffer, response, requestWasHead: false, out SequencePosition consumed, out bool invalid));
            Assert.False(invalid);
            Assert.Equal(head.Length, buffer.Slice(0, consumed).Length);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal(framing, response.Framing.ToString());
            Assert.Equal(contentLength, response.ContentLength);
            Assert.Equal(close, response.CloseConnection);
        }
    }

    [Fact]
    public void TryParse_EveryTruncatedPrefix_NeedsMore()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n");
        var response = new ResponseHead();
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.False(ResponseHeadParser.TryParse(new ReadOnlySequence<byte>(bytes, 0, length), response, false, out _, out bool invalid));
            Assert.False(invalid);
        }
    }

    [Fact]
    public void TryParse_AnswerToHead_HasNoBody()
    {
        var response = new ResponseHead();
        Assert.True(ResponseHeadParser.TryParse(new ReadOnlySequence<byte>("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray()), response, requestWasHead: true, out _, out _));
        Assert.Equal(ResponseFraming.None, response.Framing);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\nX-A: 1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\0\r\n\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 600 Odd\r\n\r\n")]
    [InlineData("HTTP/2 200 OK\r\n\r\n")]
    [InlineData("http/1.1 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200OK\r\n\r\n")]
    public void TryParse_Ambiguous_IsInvalid(string head)
    {
        Assert.False(ResponseHeadParser.TryParse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(head)), new ResponseHead(), false, out _, out bool invalid));
        Assert.True(invalid);
    }
}
