using System.Buffers;

namespace Appliance.Proxy.Tests;

public class RequestHeadParserTests
{
    [Theory]
    [MemberData(nameof(RequestCorpus.ValidNames), MemberType = typeof(RequestCorpus))]
    public void EveryTruncatedPrefix_NeedsMoreData_AndConsumesNothing(string name)
    {
        byte[] head = Segments.Bytes(RequestCorpus.Valid[name].Head);
        var reused = new RequestHead();
        for (int length = 0; length < head.Length; length++)
        {
            ParsedHead parsed = ParsedHead.Parse(Segments.Single(head[..length]), reused);

            Assert.False(parsed.Complete, $"prefix of {length} bytes");
            Assert.Equal(RequestHeadError.None, parsed.Error);
            Assert.Equal(0, parsed.Consumed);
        }
    }

    [Theory]
    [MemberData(nameof(RequestCorpus.ValidNames), MemberType = typeof(RequestCorpus))]
    public void ValidRequest_ParsesIdentically_WhenSplitAtEveryByteAcrossTwoSegments(string name)
    {
        (string headText, string body) = RequestCorpus.Valid[name];
        byte[] request = Segments.Bytes(headText + body);
        ParsedHead whole = ParsedHead.Parse(Segments.Single(request));
        Assert.True(whole.Complete, whole.Error.ToString());
        Assert.Equal(headText.Length, whole.Consumed);

        var reused = new RequestHead();
        for (int at = 0; at <= request.Length; at++)
        {
            ParsedHead split = ParsedHead.Parse(Segments.Split(request, at), reused);

            Assert.Equal(whole, split);
        }
    }

    [Fact]
    public void KubectlGet_ExposesMethodTargetVersionAndFields_AsSpansOfTheBuffer()
    {
        var head = new RequestHead();
        byte[] request = Segments.Bytes(RequestCorpus.Valid["kubectl get pods"].Head);

        Assert.True(RequestHeadParser.TryParse(Segments.Single(request), head, out _, out _));

        Assert.True("GET"u8.SequenceEqual(head.Method));
        Assert.True("/k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods?limit=500"u8.SequenceEqual(head.Target));
        Assert.Equal(HttpProtocolVersion.Http11, head.Version);
        Assert.Equal(7, head.FieldCount);
        Assert.True("Host"u8.SequenceEqual(head.FieldName(0)));
        Assert.True("rancher.example.com:8443"u8.SequenceEqual(head.FieldValue(0)));
        Assert.Equal(HeaderKind.Authorization, head.FieldKind(3));
        Assert.Equal(-1, head.ContentLength);
        Assert.False(head.IsChunked);
        Assert.False(head.IsUpgradeRequest);

        // No copy: the spans point into the caller's array.
        Assert.True(head.Target.Overlaps(request));
    }

    [Fact]
    public void FieldValue_IsTrimmedOfOptionalWhitespace_AndObsTextIsKept()
    {
        var head = new RequestHead();
        Assert.True(RequestHeadParser.TryParse(
            Segments.Single(Segments.Bytes(RequestCorpus.Valid["lawful whitespace, obs-text, empty value, repeated Content-Length"].Head)),
            head, out _, out _));

        Assert.True("value with\ttab"u8.SequenceEqual(head.FieldValue(1)));
        Assert.Equal([(byte)'c', (byte)'a', (byte)'f', 0xE9], head.FieldValue(2).ToArray());
        Assert.True(head.FieldValue(3).IsEmpty);
        Assert.Equal(2, head.ContentLength);
    }

    [Theory]
    [InlineData("kubectl apply (POST, Content-Length)", 60, false, false)]
    [InlineData("chunked PUT", -1, true, false)]
    [InlineData("kubectl exec (SPDY/3.1 upgrade)", 0, false, true)]
    [InlineData("kubectl exec (WebSocket upgrade)", -1, false, true)]
    public void Framing_IsReportedFromTheHead(string name, long contentLength, bool chunked, bool upgrade)
    {
        var head = new RequestHead();
        Assert.True(RequestHeadParser.TryParse(Segments.Single(Segments.Bytes(RequestCorpus.Valid[name].Head)), head, out _, out _));

        Assert.Equal(contentLength, head.ContentLength);
        Assert.Equal(chunked, head.IsChunked);
        Assert.Equal(upgrade, head.IsUpgradeRequest);
    }

    [Fact]
    public void Upgrade_WithoutConnectionUpgrade_IsNotAnUpgradeRequest()
    {
        var head = new RequestHead();
        Assert.True(RequestHeadParser.TryParse(Segments.Single(Segments.Bytes("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n")), head, out _, out _));

        Assert.False(head.IsUpgradeRequest);
    }

    [Fact]
    public void Upgrade_InHttp10_IsIgnored()
    {
        // RFC 9110 section 7.8: a server MUST ignore Upgrade received in an HTTP/1.0 request.
        var head = new RequestHead();
        Assert.True(RequestHeadParser.TryParse(Segments.Single(Segments.Bytes("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n")), head, out _, out _));

        Assert.False(head.IsUpgradeRequest);
    }

    [Fact]
    public void PipelinedRequests_AreParsedOneAtATime()
    {
        string first = RequestCorpus.Valid["kubectl get pods"].Head;
        string second = RequestCorpus.Valid["kubectl get -w"].Head;
        ReadOnlySequence<byte> buffer = Segments.Single(Segments.Bytes(first + second));
        var head = new RequestHead();

        Assert.True(RequestHeadParser.TryParse(buffer, head, out SequencePosition consumed, out _));
        Assert.Equal(first.Length, buffer.Slice(0, consumed).Length);
        Assert.True(RequestHeadParser.TryParse(buffer.Slice(consumed), head, out SequencePosition end, out _));
        Assert.True("/k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb-0&resourceVersion=123456&watch=true"u8.SequenceEqual(head.Target));
        Assert.Equal(buffer.Length, buffer.Slice(0, end).Length);
    }

    [Fact]
    public void LargeHead_StraddlingSegments_ParsesIdentically_AfterASmallOne()
    {
        // The small head sizes the per-connection copy at its minimum; the large one must grow it.
        byte[] small = Segments.Bytes(RequestCorpus.Valid["kubectl get pods"].Head);
        byte[] large = Segments.Bytes("GET /k8s/clusters/c1/api HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('b', 10_000) + "\r\n\r\n");
        var reused = new RequestHead();

        Assert.Equal(ParsedHead.Parse(Segments.Single(small)), ParsedHead.Parse(Segments.Split(small, 100), reused));
        foreach (int at in new[] { 1, 5_000, large.Length - 1 })
        {
            Assert.Equal(ParsedHead.Parse(Segments.Single(large)), ParsedHead.Parse(Segments.Split(large, at), reused));
        }
    }
}
