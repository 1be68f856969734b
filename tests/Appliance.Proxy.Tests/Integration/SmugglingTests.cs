using System.Text;

namespace Appliance.Proxy.Tests.Integration;

/// <summary>
/// Malformed and ambiguous requests through the real proxy to a recording upstream: each is refused or
/// forwarded exactly once with one unambiguous body, and no request hidden inside one (the "smuggled" path,
/// which carries no credential) ever reaches the upstream. Every case is sent on a connection the proxy
/// already owns (after a valid request), so the proxy's parser is the one judging it.
/// </summary>
public sealed class SmugglingTests(ProxyFixture fixture) : IClassFixture<ProxyFixture>
{
    public enum Expect
    {
        /// <summary>400 and nothing forwarded (or a head whose body never completed).</summary>
        BadRequest,

        /// <summary>Some 4xx Status from the proxy and nothing forwarded.</summary>
        Refused,

        /// <summary>200 and exactly one request upstream, with the expected body.</summary>
        Forwarded,
    }

    private const string Auth = "Authorization: Bearer " + TestAuthenticator.AliceToken + "\r\n";
    private const string Smuggled = "GET /k8s/clusters/c1/smuggled/{id} HTTP/1.1\r\nHost: x\r\n\r\n";
    private const string Post = "POST /k8s/clusters/c1/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth;

    private static readonly Dictionary<string, (string Request, Expect Expect, string? Body)> Cases = new()
    {
        // CL.TE, TE.CL, TE.TE (RFC 9112 section 6.3 rule 3: reject rather than pick one).
        ["CL.TE"] = (Post + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG" + Smuggled, Expect.BadRequest, null),
        ["TE.CL"] = (Post + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n" + Smuggled + "\r\n0\r\n\r\n", Expect.BadRequest, null),
        ["TE chunked then CL 0"] = (Post + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n" + Smuggled, Expect.BadRequest, null),
        ["TE.TE chunked then identity"] = (Post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n" + Smuggled, Expect.BadRequest, null),
        ["TE.TE two chunked fields"] = (Post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled, Expect.BadRequest, null),
        ["TE identity, chunked"] = (Post + "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n" + Smuggled, Expect.BadRequest, null),
        ["TE chunked, chunked"] = (Post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n" + Smuggled, Expect.BadRequest, null),
        ["TE xchunked"] = (Post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + Smuggled, Expect.BadRequest, null),
        ["TE gzip"] = (Post + "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello", Expect.BadRequest, null),
        ["TE with space before colon"] = (Post + "Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\nhello", Expect.BadRequest, null),
        ["TE with tab before colon"] = (Post + "Transfer-Encoding\t: chunked\r\nContent-Length: 5\r\n\r\nhello", Expect.BadRequest, null),
        ["TE obs-fold"] = (Post + "Transfer-Encoding: x\r\n chunked\r\nContent-Length: 5\r\n\r\nhello", Expect.BadRequest, null),
        ["TE vertical tab"] = (Post + "Transfer-Encoding: chunked\u000b\r\n\r\n0\r\n\r\n", Expect.BadRequest, null),
        ["TE in HTTP/1.0"] = ("POST /k8s/clusters/c1/smuggle/{id} HTTP/1.0\r\n" + Auth + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Smuggled, Expect.BadRequest, null),
        ["TE with NUL"] = (Post + "Transfer-Encoding: chunked\0\r\n\r\n0\r\n\r\n", Expect.BadRequest, null),

        // Content-Length.
        ["two different CL"] = (Post + "Content-Length: 5\r\nContent-Length: 41\r\n\r\nhello" + Smuggled, Expect.BadRequest, null),
        ["CL comma list"] = (Post + "Content-Length: 5, 5\r\n\r\nhello", Expect.BadRequest, null),
        ["CL plus sign"] = (Post + "Content-Length: +5\r\n\r\nhello", Expect.BadRequest, null),
        ["CL negative"] = (Post + "Content-Length: -1\r\n\r\nhello", Expect.BadRequest, null),
        ["CL hex"] = (Post + "Content-Length: 0x5\r\n\r\nhello", Expect.BadRequest, null),
        ["CL overflow"] = (Post + "Content-Length: 99999999999999999999999\r\n\r\nhello", Expect.BadRequest, null),
        ["CL empty"] = (Post + "Content-Length:\r\n\r\nhello", Expect.BadRequest, null),
        ["CL with space before colon"] = (Post + "Content-Length : 5\r\n\r\nhello", Expect.BadRequest, null),
        ["CL in HTTP/1.0 with TE"] = ("POST /k8s/clusters/c1/smuggle/{id} HTTP/1.0\r\n" + Auth + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello", Expect.BadRequest, null),

        // Chunked bodies that do not parse: the head may have gone upstream, the request never completes there.
        ["chunk size not hex"] = (Post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", Expect.BadRequest, null),
        ["chunk size 0x prefix"] = (Post + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", Expect.BadRequest, null),
        ["chunk size overflow"] = (Post + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n", Expect.BadRequest, null),
        ["chunk size negative"] = (Post + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", Expect.BadRequest, null),
        ["chunk longer than its size"] = (Post + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", Expect.BadRequest, null),
        ["chunk without CRLF after data"] = (Post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello0\r\n\r\n", Expect.BadRequest, null),
        ["chunk size line with bare LF"] = (Post + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", Expect.BadRequest, null),
        ["chunk extension with bare CR"] = (Post + "Transfer-Encoding: chunked\r\n\r\n5;a=\rb\r\nhello\r\n0\r\n\r\n", Expect.BadRequest, null),
        ["request hidden in the trailer section"] = (Post + "Transfer-Encoding: chunked\r\n\r\n0\r\n" + Smuggled, Expect.BadRequest, null),
        ["chunk size with space inside"] = (Post + "Transfer-Encoding: chunked\r\n\r\n5 5\r\nhello\r\n0\r\n\r\n", Expect.BadRequest, null),

        // Line endings, control characters, header injection.
        ["bare LF in a header line"] = (Post + "X-A: 1\nContent-Length: 5\r\n\r\nhello", Expect.BadRequest, null),
        ["bare CR in a header value"] = (Post + "X-A: 1\rContent-Length: 41\r\nContent-Length: 5\r\n\r\nhello", Expect.BadRequest, null),
        ["NUL in a header value"] = (Post + "X-A: a\0b\r\nContent-Length: 5\r\n\r\nhello", Expect.BadRequest, null),
        ["space in a header name"] = (Post + "Content Length: 5\r\n\r\nhello", Expect.BadRequest, null),
        ["header line without colon"] = (Post + "Content-Length 5\r\n\r\nhello", Expect.BadRequest, null),
        ["obs-fold in an ordinary header"] = (Post + "X-A: 1\r\n\tcontinued\r\nContent-Length: 5\r\n\r\nhello", Expect.BadRequest, null),
        ["bare CR in the request line"] = ("POST /k8s/clusters/c1/smuggle/{id}\r HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["bare LF ending the head"] = (Post + "Content-Length: 5\n\nhello", Expect.BadRequest, null),
        ["invalid method character"] = ("PO(ST /k8s/clusters/c1/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["space inside the target"] = ("GET /k8s/clusters/c1/smuggle/{id} x HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["HTTP/1.2"] = ("GET /k8s/clusters/c1/smuggle/{id} HTTP/1.2\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["HTTP/2.0 request line"] = ("GET /k8s/clusters/c1/smuggle/{id} HTTP/2.0\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["missing Host"] = ("GET /k8s/clusters/c1/smuggle/{id} HTTP/1.1\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["two Host fields"] = ("GET /k8s/clusters/c1/smuggle/{id} HTTP/1.1\r\nHost: x\r\nHost: y\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["absolute-form target"] = ("GET http://evil.example/k8s/clusters/c1/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["request line over 8 KiB"] = ("GET /k8s/clusters/c1/smuggle/{id}?q=" + new string('a', 9000) + " HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["101 header fields"] = (Post + string.Concat(Enumerable.Range(0, 101).Select(i => $"X-F{i}: v\r\n")) + "\r\n", Expect.BadRequest, null),

        // Path tricks: never another cluster.
        ["dot-dot to another cluster"] = ("GET /k8s/clusters/c1/../c2/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["encoded dot-dot"] = ("GET /k8s/clusters/c1/%2e%2e/c2/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["encoded slash in the cluster id"] = ("GET /k8s/clusters/c1%2f..%2fc2/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["dot-dot cluster id"] = ("GET /k8s/clusters/../clusters/c2/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["backslashes"] = ("GET /k8s/clusters/c1\\..\\c2/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.BadRequest, null),
        ["double slash prefix"] = ("GET //k8s/clusters/c2/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.Refused, null),
        ["upper-case cluster id"] = ("GET /k8s/clusters/C2/smuggle/{id} HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.Refused, null),

        // Lawful shapes: forwarded once, the bytes after the body parsed by the proxy as the next request
        // (which has no credential, so it is refused and never forwarded).
        ["CL body then a pipelined request"] = (Post + "Content-Length: 5\r\n\r\nhello" + Smuggled, Expect.Forwarded, "hello"),
        ["chunked body then a pipelined request"] = (Post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + Smuggled, Expect.Forwarded, "hello"),
        ["TE Chunked in another case"] = (Post + "Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + Smuggled, Expect.Forwarded, "hello"),
        ["TE with leading whitespace"] = (Post + "Transfer-Encoding:   chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + Smuggled, Expect.Forwarded, "hello"),
        ["two identical CL"] = (Post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello" + Smuggled, Expect.Forwarded, "hello"),
        ["CL with surrounding whitespace"] = (Post + "Content-Length:  5 \r\n\r\nhello" + Smuggled, Expect.Forwarded, "hello"),
        ["Transfer_Encoding is just a header"] = (Post + "Transfer_Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello" + Smuggled, Expect.Forwarded, "hello"),
        ["Connection names Content-Length"] = (Post + "Connection: Content-Length\r\nContent-Length: 5\r\n\r\nhello" + Smuggled, Expect.Forwarded, "hello"),
        ["Connection names Transfer-Encoding"] = (Post + "Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + Smuggled, Expect.Forwarded, "hello"),
        ["Connection names Impersonate-User and Authorization"] = (Post + "Connection: Impersonate-User, Authorization\r\nImpersonate-User: admin\r\nContent-Length: 5\r\n\r\nhello", Expect.Forwarded, "hello"),
        ["CRLF encoded in the target stays encoded"] = ("GET /k8s/clusters/c1/smuggle/{id}%0d%0aX-Injected:%201 HTTP/1.1\r\nHost: x\r\n" + Auth + "\r\n", Expect.Forwarded, ""),
        ["chunk extensions"] = (Post + "Transfer-Encoding: chunked\r\n\r\n5 ;a=b;c=\"d\"\r\nhello\r\n0\r\n\r\n", Expect.Forwarded, "hello"),
        ["trailer fields"] = (Post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nImpersonate-User: admin\r\n\r\n", Expect.Forwarded, "hello"),
        ["Expect 100-continue"] = (Post + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello", Expect.Forwarded, "hello"),
        ["upgrade with a body is not a tunnel before 101"] = (Post + "Connection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\n\r\nhello" + Smuggled, Expect.Forwarded, "hello"),
    };

    public static TheoryData<string> CaseNames()
    {
        var names = new TheoryData<string>();
        foreach (string name in Cases.Keys)
        {
            names.Add(name);
        }

        return names;
    }

    [Fact]
    public void ThereAreAtLeastFortyRejectedOrAmbiguousCases() => Assert.True(Cases.Count >= 40, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Request_IsRefusedOrForwardedOnce_AndNothingIsSmuggled(string name)
    {
        (string request, Expect expect, string? body) = Cases[name];
        string id = Guid.NewGuid().ToString("N");
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get($"/k8s/clusters/c1/warmup/{id}"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        await client.SendAsync(request.Replace("{id}", id, StringComparison.Ordinal));
        ClientResponse response = await client.ReadResponseAsync();
        if (response.Status == 100)
        {
            response = await client.ReadResponseAsync();
        }

        // Whatever follows (a pipelined request without credential, or a final one) ends the connection.
        try
        {
            await client.SendAsync(RawClient.Get($"/k8s/clusters/c1/final/{id}", token: null));
        }
        catch (IOException)
        {
            // Already closed: fine.
        }

        Assert.True(await client.IsClosedAsync(), "the connection should end after a refusal");

        List<RecordedRequest> forwarded = fixture.Upstream.RequestsMatching($"/smuggle/{id}");
        Assert.Empty(fixture.Upstream.RequestsMatching($"/smuggled/{id}"));
        Assert.Empty(fixture.Upstream.RequestsMatching($"/final/{id}"));
        Assert.DoesNotContain($"c2/smuggle/{id}", fixture.Other.ReceivedText(), StringComparison.Ordinal);
        switch (expect)
        {
            case Expect.BadRequest:
                Assert.Equal(400, response.Status);
                Assert.Empty(forwarded);
                break;
            case Expect.Refused:
                Assert.InRange(response.Status, 400, 499);
                Assert.Empty(forwarded);
                break;
            default:
                Assert.Equal(200, response.Status);
                RecordedRequest only = Assert.Single(forwarded);
                Assert.Equal(body, Encoding.Latin1.GetString(only.Body));
                Assert.Equal(["u-alice"], only.HeaderValues("Impersonate-User"));
                Assert.Equal(["Bearer sa-token-c1"], only.HeaderValues("Authorization"));
                Assert.DoesNotContain("X-Injected", only.RawHead.Replace("%0d%0aX-Injected", "", StringComparison.Ordinal), StringComparison.Ordinal);
                break;
        }
    }
}
