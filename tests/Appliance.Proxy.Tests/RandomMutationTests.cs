using System.Buffers;

namespace Appliance.Proxy.Tests;

/// <summary>
/// A bounded, seeded stand-in for fuzzing: corpus requests with random byte flips, insertions of the
/// bytes parsers disagree on, and deletions. Whatever the input, nothing throws, a whole and a split
/// buffer give the same answer, and anything that parses and routes either rewrites or fails closed.
/// </summary>
public class RandomMutationTests
{
    private static readonly byte[] Interesting = "\r\n \t:,;\0\u007f\u00ff%/.\\?#chunked0123456789Impersonate-Connection"u8.ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MutatedRequests_NeverThrow_AndParseTheSameWholeOrSplit(int seed)
    {
        var random = new Random(seed);
        var head = new RequestHead();
        var output = new ArrayBufferWriter<byte>();
        var corpus = new List<byte[]>();
        foreach ((string requestHead, _) in RequestCorpus.Valid.Values)
        {
            corpus.Add(Segments.Bytes(requestHead));
        }

        for (int iteration = 0; iteration < 3_000; iteration++)
        {
            byte[] input = Mutate(corpus[random.Next(corpus.Count)], random);
            ParsedHead whole = ParsedHead.Parse(Segments.Single(input), head);
            ParsedHead split = ParsedHead.Parse(Segments.Split(input, random.Next(input.Length + 1)), head);

            Assert.Equal(whole, split);
            if (!whole.Complete)
            {
                Assert.Equal(0, whole.Consumed);
                continue;
            }

            Assert.True(RequestHeadParser.TryParse(Segments.Single(input), head, out _, out _));
            if (ClusterRoute.TryParse(head.Target, out ClusterRoute route) != RouteError.None)
            {
                continue;
            }

            output.ResetWrittenCount();
            RewriteError error = RequestHeadRewriter.TryWrite(head, route, Rewrite.Identity, Rewrite.Upstream, output, out int written);
            if (error == RewriteError.None)
            {
                // Whatever went in, what comes out is one valid head carrying exactly our identity.
                string upstream = System.Text.Encoding.Latin1.GetString(output.WrittenSpan);
                List<(string Name, string Value)> fields = Rewrite.Fields(upstream);
                Assert.Equal(["u-abc12"], Rewrite.Values(fields, "Impersonate-User"));
                Assert.Equal(["Bearer " + Rewrite.ServiceAccountToken], Rewrite.Values(fields, "Authorization"));
            }
            else
            {
                Assert.Equal(0, written);
            }
        }
    }

    private static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        int mutations = random.Next(1, 4);
        for (int i = 0; i < mutations; i++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 2:
                    bytes.RemoveAt(at);
                    break;
                default:
                    // Insert a whole smuggling-shaped line, right after some line break.
                    int lineBreak = bytes.IndexOf((byte)'\n', at);
                    if (lineBreak >= 0)
                    {
                        bytes.InsertRange(lineBreak + 1, SmugglingLines[random.Next(SmugglingLines.Length)]);
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    private static readonly byte[][] SmugglingLines =
    [
        "Transfer-Encoding: chunked\r\n"u8.ToArray(),
        "Content-Length: 5\r\n"u8.ToArray(),
        "Connection: Impersonate-User, Authorization\r\n"u8.ToArray(),
        "Impersonate-Group: system:masters\r\n"u8.ToArray(),
        "Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.dG9r\r\n"u8.ToArray(),
        " folded\r\n"u8.ToArray(),
        "Host: evil\r\n"u8.ToArray(),
    ];
}
