namespace Appliance.Proxy.Tests;

/// <summary>Every malformed or ambiguous head is rejected with its named reason, consuming nothing.</summary>
public class RequestHeadParserRejectionTests
{
    private const string H = "Host: a\r\n";

    [Theory]
    // Line endings (RFC 9112 section 2.2).
    [InlineData("GET / HTTP/1.1\r\n" + H + "X: a\rb\r\n\r\n", RequestHeadError.BareCarriageReturn)]
    [InlineData("GET / HTTP/1.1\rHost: a\r\n\r\n", RequestHeadError.BareCarriageReturn)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X: a\r\r\n\r\n", RequestHeadError.BareCarriageReturn)]
    [InlineData("GET / HTTP/1.1\nHost: a\r\n\r\n", RequestHeadError.BareLineFeed)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X: a\nY: b\r\n\r\n", RequestHeadError.BareLineFeed)]
    // Request line (RFC 9112 section 3).
    [InlineData("\r\n\r\n", RequestHeadError.InvalidRequestLine)]
    [InlineData("GET  / HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestLine)]
    [InlineData("GET /  HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestLine)]
    [InlineData("GET / HTTP/1.1 \r\n" + H + "\r\n", RequestHeadError.InvalidRequestLine)]
    [InlineData(" GET / HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestLine)]
    [InlineData("GET /\r\n" + H + "\r\n", RequestHeadError.InvalidRequestLine)]
    [InlineData("GET\r\n" + H + "\r\n", RequestHeadError.InvalidRequestLine)]
    [InlineData("GET\t/ HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidMethod)]
    [InlineData("G(T / HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidMethod)]
    [InlineData("GET / HTTP/2.0\r\n" + H + "\r\n", RequestHeadError.UnsupportedVersion)]
    [InlineData("GET / http/1.1\r\n" + H + "\r\n", RequestHeadError.UnsupportedVersion)]
    [InlineData("GET / HTTP/1.10\r\n" + H + "\r\n", RequestHeadError.UnsupportedVersion)]
    [InlineData("GET / HTTP/0.9\r\n" + H + "\r\n", RequestHeadError.UnsupportedVersion)]
    // Request-target: origin-form only (RFC 9112 section 3.2).
    [InlineData("GET http://evil.example/k8s/clusters/c1/api HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.TargetNotOriginForm)]
    [InlineData("CONNECT a:443 HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.TargetNotOriginForm)]
    [InlineData("OPTIONS * HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.TargetNotOriginForm)]
    [InlineData("GET /k8s/clusters/c1\\..\\c2 HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestTarget)]
    [InlineData("GET /a#fragment HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestTarget)]
    [InlineData("GET /a\"b HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestTarget)]
    [InlineData("GET /a{b} HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestTarget)]
    [InlineData("GET /caf\u00e9 HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestTarget)]
    [InlineData("GET /a\u0000 HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestTarget)]
    [InlineData("GET /a%zz HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestTarget)]
    [InlineData("GET /a%2 HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestTarget)]
    [InlineData("GET /a% HTTP/1.1\r\n" + H + "\r\n", RequestHeadError.InvalidRequestTarget)]
    // Field lines (RFC 9112 section 5).
    [InlineData("GET / HTTP/1.1\r\n" + H + "X-A: b\r\n c\r\n\r\n", RequestHeadError.ObsoleteLineFolding)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X-A: b\r\n\tc\r\n\r\n", RequestHeadError.ObsoleteLineFolding)]
    [InlineData("GET / HTTP/1.1\r\n Host: a\r\n\r\n", RequestHeadError.ObsoleteLineFolding)]
    [InlineData("GET / HTTP/1.1\r\nHost : a\r\n\r\n", RequestHeadError.WhitespaceBeforeColon)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "Transfer-Encoding\t: chunked\r\n\r\n", RequestHeadError.WhitespaceBeforeColon)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "NoColon\r\n\r\n", RequestHeadError.MissingColon)]
    [InlineData("GET / HTTP/1.1\r\n" + H + ": empty name\r\n\r\n", RequestHeadError.InvalidFieldName)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X(Y: a\r\n\r\n", RequestHeadError.InvalidFieldName)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X Y: a\r\n\r\n", RequestHeadError.InvalidFieldName)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X\u0000Y: a\r\n\r\n", RequestHeadError.InvalidFieldName)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "Impersonate-User\u00e9: a\r\n\r\n", RequestHeadError.InvalidFieldName)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X: a\u0000b\r\n\r\n", RequestHeadError.InvalidFieldValue)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X: a\u0001b\r\n\r\n", RequestHeadError.InvalidFieldValue)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X: a\u000bb\r\n\r\n", RequestHeadError.InvalidFieldValue)]
    [InlineData("GET / HTTP/1.1\r\n" + H + "X: a\u007fb\r\n\r\n", RequestHeadError.InvalidFieldValue)]
    // Host (RFC 9112 section 3.2).
    [InlineData("GET / HTTP/1.1\r\nX: a\r\n\r\n", RequestHeadError.MissingHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", RequestHeadError.MultipleHost)]
    // Message body length (RFC 9112 section 6.3), the request-smuggling rules.
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length: abc\r\n\r\n", RequestHeadError.InvalidContentLength)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length: -1\r\n\r\n", RequestHeadError.InvalidContentLength)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length: +5\r\n\r\n", RequestHeadError.InvalidContentLength)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length: 0x10\r\n\r\n", RequestHeadError.InvalidContentLength)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length: 1 2\r\n\r\n", RequestHeadError.InvalidContentLength)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length: 5, 5\r\n\r\n", RequestHeadError.InvalidContentLength)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length:\r\n\r\n", RequestHeadError.InvalidContentLength)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length: 9223372036854775808\r\n\r\n", RequestHeadError.InvalidContentLength)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", RequestHeadError.ConflictingContentLength)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", RequestHeadError.ContentLengthWithTransferEncoding)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", RequestHeadError.ContentLengthWithTransferEncoding)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\n\r\n", RequestHeadError.TransferEncodingNotChunked)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, gzip\r\n\r\n", RequestHeadError.TransferEncodingNotChunked)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", RequestHeadError.TransferEncodingNotChunked)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: xchunked\r\n\r\n", RequestHeadError.TransferEncodingNotChunked)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: \"chunked\"\r\n\r\n", RequestHeadError.TransferEncodingNotChunked)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding:\r\n\r\n", RequestHeadError.TransferEncodingNotChunked)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip, chunked\r\n\r\n", RequestHeadError.UnsupportedTransferCoding)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, chunked\r\n\r\n", RequestHeadError.UnsupportedTransferCoding)]
    [InlineData("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", RequestHeadError.UnsupportedTransferCoding)]
    [InlineData("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", RequestHeadError.TransferEncodingInHttp10)]
    public void MalformedOrAmbiguousHead_IsRejectedWithItsReason(string request, RequestHeadError expected)
    {
        ParsedHead parsed = ParsedHead.Parse(request);

        Assert.False(parsed.Complete);
        Assert.Equal(expected, parsed.Error);
        Assert.Equal(0, parsed.Consumed);
    }

    [Fact]
    public void HeadWithoutEnd_IsRejected_OnceTheHeadLimitIsReached()
    {
        var head = new RequestHead(maxHeadBytes: 1024);
        string start = "GET / HTTP/1.1\r\nHost: a\r\n" + "X: " + new string('a', 2000);

        Assert.Equal(RequestHeadError.None, ParsedHead.Parse(start[..1023], head).Error);
        ParsedHead parsed = ParsedHead.Parse(start[..1024], head);

        Assert.Equal(RequestHeadError.HeadTooLarge, parsed.Error);
        Assert.Equal(0, parsed.Consumed);
    }

    [Fact]
    public void CompleteHead_LongerThanTheLimit_IsRejected_EvenWhenItsEndIsInTheBuffer()
    {
        var head = new RequestHead(maxHeadBytes: 64);
        string request = "GET / HTTP/1.1\r\nHost: a\r\nX: " + new string('a', 40) + "\r\n\r\n";

        Assert.Equal(RequestHeadError.HeadTooLarge, ParsedHead.Parse(request, head).Error);
    }

    [Fact]
    public void RequestLine_OverItsLimit_IsRejected_BeforeTheHeadIsComplete()
    {
        var head = new RequestHead(maxRequestLineBytes: 64);
        string line = "GET /" + new string('a', 100);

        Assert.Equal(RequestHeadError.None, ParsedHead.Parse(line[..64], head).Error);
        Assert.Equal(RequestHeadError.RequestLineTooLong, ParsedHead.Parse(line, head).Error);
        Assert.Equal(RequestHeadError.RequestLineTooLong, ParsedHead.Parse(line + " HTTP/1.1\r\nHost: a\r\n\r\n", head).Error);
    }

    [Fact]
    public void MoreFieldsThanTheLimit_AreRejected()
    {
        var head = new RequestHead(maxFieldCount: 3);

        Assert.True(ParsedHead.Parse("GET / HTTP/1.1\r\nHost: a\r\nB: b\r\nC: c\r\n\r\n", head).Complete);
        Assert.Equal(RequestHeadError.TooManyHeaderFields, ParsedHead.Parse("GET / HTTP/1.1\r\nHost: a\r\nB: b\r\nC: c\r\nD: d\r\n\r\n", head).Error);
    }

    [Fact]
    public void RejectedHead_LeavesTheReusedHeadEmpty()
    {
        var head = new RequestHead();
        Assert.True(ParsedHead.Parse(RequestCorpus.Valid["kubectl get pods"].Head, head).Complete);

        ParsedHead.Parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", head);

        Assert.Equal(0, head.FieldCount);
        Assert.True(head.Target.IsEmpty);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: a\n\n", RequestHeadError.BareLineFeed)]
    [InlineData("\nGET / HTTP/1.1\r\n", RequestHeadError.BareLineFeed)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\rX", RequestHeadError.BareCarriageReturn)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\rX: b\nY", RequestHeadError.BareCarriageReturn)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\r\n", RequestHeadError.BareCarriageReturn)]
    public void BareLineEnding_IsRejected_BeforeTheHeadIsComplete_WhereverTheSegmentsSplit(string incomplete, RequestHeadError expected)
    {
        byte[] bytes = Segments.Bytes(incomplete);
        var head = new RequestHead();
        for (int at = 0; at <= bytes.Length; at++)
        {
            ParsedHead parsed = ParsedHead.Parse(Segments.Split(bytes, at), head);

            Assert.Equal(expected, parsed.Error);
            Assert.Equal(0, parsed.Consumed);
        }
    }

    [Fact]
    public void TrailingCarriageReturn_StillNeedsMoreData()
    {
        Assert.Equal(RequestHeadError.None, ParsedHead.Parse("GET / HTTP/1.1\r\nHost: a\r").Error);
        Assert.Equal(RequestHeadError.None, ParsedHead.Parse(Segments.Split(Segments.Bytes("GET / HTTP/1.1\r\nHost: a\r\n\r"), 25)).Error);
    }
}
