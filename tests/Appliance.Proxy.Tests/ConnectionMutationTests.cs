using System.Buffers;
using System.Text;
using Appliance.Proxy.Testing;

namespace Appliance.Proxy.Tests;

/// <summary>
/// Seeded, bounded mutation runs (the fuzzing, without a fuzzer binary): whole connections with
/// mutated kubectl requests, bodies and credentials; upstream response heads; chunked bodies. Nothing
/// throws out of a parser or the connection loop, nothing hangs, and what is answered is HTTP.
/// </summary>
public class ConnectionMutationTests
{
    private static readonly byte[] Interesting = "\r\n \t:,;\0\u007f\u00ff%/.\\?#chunked0123456789Impersonate-ConnectionBearer Basic R_SESS=="u8.ToArray();

    private static readonly string[] Requests =
    [
        RequestLine("GET", "/k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods?limit=500") + "Host: a\r\nAuthorization: Bearer " + InMemoryProxy.Token + "\r\n\r\n",
        RequestLine("POST", "/k8s/clusters/c-m-abc12/api/v1/namespaces/default/configmaps") + "Host: a\r\nAuthorization: Bearer " + InMemoryProxy.Token + "\r\nContent-Length: 5\r\n\r\nhello",
        RequestLine("PUT", "/k8s/clusters/c-m-abc12/api/v1/x") + "Host: a\r\nCookie: R_SESS=" + InMemoryProxy.Token + "; CSRF=c5rf\r\nX-API-CSRF: c5rf\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        RequestLine("GET", "/k8s/clusters/c-m-abc12/api") + "Host: a\r\nAuthorization: Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes(InMemoryProxy.Token)) + "\r\n\r\n" +
            RequestLine("GET", "/k8s/clusters/c-m-abc12/apis") + "Host: a\r\nAuthorization: Bearer " + InMemoryProxy.Token + "\r\nConnection: close\r\n\r\n",
        RequestLine("GET", "/k8s/clusters/c-m-abc12/api/v1/pods/exec") + "Host: a\r\nAuthorization: Bearer " + InMemoryProxy.Token + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    ];

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task MutatedConnections_EndCleanly_AndAnswerOnlyHttp(int seed)
    {
        var random = new Random(seed);
        var options = new ProxyOptions { AuditQueueCapacity = 16, UpstreamResponseHeadersTimeout = TimeSpan.FromSeconds(2) };
        int forwarded = 0;
        int refused = 0;
        for (int iteration = 0; iteration < 300; iteration++)
        {
            byte[] input = Mutate(Encoding.Latin1.GetBytes(Requests[random.Next(Requests.Length)]), random);
            await using InMemoryProxyConnection proxy = InMemoryProxy.Create(ForwardingAllocationTests.Response, options);

            byte[] answer = await proxy.SendAndCloseAsync(input, TimeSpan.FromSeconds(10));

            string text = Encoding.Latin1.GetString(answer);
            if (answer.Length > 0)
            {
                Assert.StartsWith("HTTP/1.1 ", text, StringComparison.Ordinal);
            }

            forwarded += text.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) ? 1 : 0;
            refused += text.StartsWith("HTTP/1.1 4", StringComparison.Ordinal) ? 1 : 0;
        }

        // The mix exercises both paths, or the run proves little.
        Assert.InRange(forwarded, 30, 300);
        Assert.InRange(refused, 30, 300);
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void MutatedResponseHeads_NeverThrow_AndParseTheSameWholeOrSplit(int seed)
    {
        var random = new Random(seed);
        var response = new ResponseHead();
        byte[][] corpus =
        [
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"u8.ToArray(),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"u8.ToArray(),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n"u8.ToArray(),
        ];
        for (int iteration = 0; iteration < 5_000; iteration++)
        {
            byte[] input = Mutate(corpus[random.Next(corpus.Length)], random);
            bool whole = ResponseHeadParser.TryParse(new ReadOnlySequence<byte>(input), response, false, out SequencePosition wholeEnd, out bool wholeInvalid);
            string wholeState = whole ? $"{response.StatusCode} {response.Framing} {response.ContentLength} {response.CloseConnection} {new ReadOnlySequence<byte>(input).Slice(0, wholeEnd).Length}" : $"{wholeInvalid}";
            ReadOnlySequence<byte> splitInput = Segments.Split(input, random.Next(input.Length + 1));
            bool split = ResponseHeadParser.TryParse(splitInput, response, false, out SequencePosition splitEnd, out bool splitInvalid);
            string splitState = split ? $"{response.StatusCode} {response.Framing} {response.ContentLength} {response.CloseConnection} {splitInput.Slice(0, splitEnd).Length}" : $"{splitInvalid}";
            Assert.Equal(wholeState, splitState);
        }
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public void MutatedChunkedBodies_NeverThrow_AndDecodeTheSameWholeOrByteByByte(int seed)
    {
        var random = new Random(seed);
        byte[][] corpus =
        [
            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"u8.ToArray(),
            "5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"u8.ToArray(),
            "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"u8.ToArray(),
        ];
        for (int iteration = 0; iteration < 5_000; iteration++)
        {
            byte[] input = Mutate(corpus[random.Next(corpus.Length)], random);
            Assert.Equal(DecodeWhole(input), DecodeByteByByte(input));
        }
    }

    private static string DecodeWhole(byte[] input)
    {
        var decoder = default(ChunkedDecoder);
        var output = new ArrayBufferWriter<byte>();
        ChunkedStatus status = decoder.Decode(new ReadOnlySequence<byte>(input), output, false, out _, out _);
        return status == ChunkedStatus.Invalid ? "invalid" : $"{status} {Dechunked(output)}";
    }

    /// <summary>The worst case of a pipe: one more byte per read, unconsumed bytes offered again.</summary>
    private static string DecodeByteByByte(byte[] input)
    {
        var decoder = default(ChunkedDecoder);
        var output = new ArrayBufferWriter<byte>();
        int consumedTotal = 0;
        ChunkedStatus status = ChunkedStatus.NeedMore;
        for (int available = 0; available <= input.Length && status == ChunkedStatus.NeedMore; available++)
        {
            var buffer = new ReadOnlySequence<byte>(input, consumedTotal, available - consumedTotal);
            status = decoder.Decode(buffer, output, false, out SequencePosition consumed, out _);
            consumedTotal += (int)buffer.Slice(0, consumed).Length;
        }

        return status == ChunkedStatus.Invalid ? "invalid" : $"{status} {Dechunked(output)}";
    }

    /// <summary>The data carried, whatever the chunk boundaries: what the other side would read.</summary>
    private static string Dechunked(ArrayBufferWriter<byte> output)
    {
        var decoder = default(ChunkedDecoder);
        var data = new ArrayBufferWriter<byte>();
        var written = new ReadOnlySequence<byte>(output.WrittenMemory);
        ChunkedStatus status = decoder.Decode(written, data, dechunk: true, out _, out _);
        Assert.NotEqual(ChunkedStatus.Invalid, status); // What we write is always valid chunked.
        return Encoding.Latin1.GetString(data.WrittenSpan);
    }

    private static string RequestLine(string method, string target) => $"{method} {target} HTTP/1.1\r\n";

    private static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        int mutations = random.Next(0, 4);
        for (int i = 0; i < mutations && bytes.Count > 0; i++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(3))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                default:
                    bytes.RemoveAt(at);
                    break;
            }
        }

        return [.. bytes];
    }
}
