namespace Appliance.Proxy.Tests;

public class RequestHeadRewriterTests
{
    private const string Ours = "Bearer " + Rewrite.ServiceAccountToken;

    [Theory]
    [MemberData(nameof(RequestCorpus.ValidNames), MemberType = typeof(RequestCorpus))]
    public void EveryCorpusRequest_BecomesOneValidUpstreamHead_WithOnlyOurCredentials(string name)
    {
        (RewriteError error, string head, _) = Rewrite.Run(RequestCorpus.Valid[name].Head);

        Assert.Equal(RewriteError.None, error);
        List<(string Name, string Value)> fields = Rewrite.Fields(head);
        Assert.Equal(("Host", Rewrite.Authority), fields[0]);
        Assert.Equal(["u-abc12"], Rewrite.Values(fields, "Impersonate-User"));
        Assert.Equal([Ours], Rewrite.Values(fields, "Authorization"));
        Assert.DoesNotContain("token-abcde:", head, StringComparison.Ordinal);
        Assert.DoesNotContain("/k8s/clusters", head, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientIdentityHeaders_AreRemoved_AndOursArePresentExactlyOnce()
    {
        (RewriteError error, string head, _) = Rewrite.Run(
            "GET /k8s/clusters/c1/api/v1/secrets HTTP/1.1\r\n" +
            "Host: rancher.example.com\r\n" +
            "Impersonate-User: admin\r\n" +
            "Impersonate-Group: system:masters\r\n" +
            "impersonate-uid: 0\r\n" +
            "Impersonate-Extra-scopes: everything\r\n" +
            "IMPERSONATE-EXTRA-principalid: local://admin\r\n" +
            "X-Remote-User: admin\r\n" +
            "x-remote-group: system:masters\r\n" +
            "X-Remote-Extra-Scopes: everything\r\n" +
            "Impersonate_Group: system:masters\r\n" +
            "x_remote_user: admin\r\n" +
            "Authorization: Bearer token-abcde:secret\r\n" +
            "Proxy-Authorization: Basic YWRtaW46YWRtaW4=\r\n" +
            "Cookie: R_SESS=token-abcde:secret; CSRF=123\r\n" +
            "cookie: other=1\r\n" +
            "\r\n");

        Assert.Equal(RewriteError.None, error);
        List<(string Name, string Value)> fields = Rewrite.Fields(head);
        Assert.DoesNotContain("system:masters", head, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", head, StringComparison.Ordinal);
        Assert.DoesNotContain("token-abcde:secret", head, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Remote", head, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("_", head, StringComparison.Ordinal);
        Assert.DoesNotContain("Impersonate-Uid", head, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Proxy-Authorization", head, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Cookie", head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["u-abc12"], Rewrite.Values(fields, "Impersonate-User"));
        Assert.Equal(["local://g-devs", "system:authenticated"], Rewrite.Values(fields, "Impersonate-Group"));
        Assert.Equal(["local://u-abc12"], Rewrite.Values(fields, "Impersonate-Extra-principalid"));
        Assert.Empty(Rewrite.Values(fields, "Impersonate-Extra-scopes"));
        Assert.Equal([Ours], Rewrite.Values(fields, "Authorization"));
    }

    [Fact]
    public void ConnectionNamingOurHeaders_CannotRemoveThem_Cve202131999()
    {
        // Rancher CVE-2021-31999: hop-by-hop removal ran after the proxy set its headers, so a client that
        // listed Impersonate-User in Connection made the call go downstream as the service account.
        (RewriteError error, string head, _) = Rewrite.Run(
            "GET /k8s/clusters/c1/api/v1/secrets HTTP/1.1\r\n" +
            "Host: rancher.example.com\r\n" +
            "Connection: Impersonate-User, Authorization, Impersonate-Group, Host, Content-Length\r\n" +
            "Impersonate-User: admin\r\n" +
            "Content-Length: 3\r\n" +
            "\r\n");

        Assert.Equal(RewriteError.None, error);
        List<(string Name, string Value)> fields = Rewrite.Fields(head);
        Assert.Equal(["u-abc12"], Rewrite.Values(fields, "Impersonate-User"));
        Assert.Equal(["local://g-devs", "system:authenticated"], Rewrite.Values(fields, "Impersonate-Group"));
        Assert.Equal([Ours], Rewrite.Values(fields, "Authorization"));
        Assert.Equal([Rewrite.Authority], Rewrite.Values(fields, "Host"));

        // The body framing cannot be stripped by naming it either: the upstream would read the body as the next request.
        Assert.Equal(["3"], Rewrite.Values(fields, "Content-Length"));
        Assert.Empty(Rewrite.Values(fields, "Connection"));
    }

    [Fact]
    public void HopByHopHeaders_AndHeadersNamedByConnection_AreRemoved()
    {
        (RewriteError error, string head, _) = Rewrite.Run(
            "GET /k8s/clusters/c1/api HTTP/1.1\r\n" +
            "Host: rancher.example.com\r\n" +
            "Connection: keep-alive, X-Hop\r\n" +
            "connection: x-other-hop\r\n" +
            "Keep-Alive: timeout=5\r\n" +
            "Proxy-Connection: keep-alive\r\n" +
            "Proxy-Authenticate: Basic\r\n" +
            "TE: trailers\r\n" +
            "Trailer: X-Checksum\r\n" +
            "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n" +
            "X-Hop: 1\r\n" +
            "X-Other-Hop: 2\r\n" +
            "X-Kept: 3\r\n" +
            "\r\n");

        Assert.Equal(RewriteError.None, error);
        List<(string Name, string Value)> fields = Rewrite.Fields(head);
        foreach (string removed in new[] { "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "TE", "Trailer", "HTTP2-Settings", "X-Hop", "X-Other-Hop", "Upgrade" })
        {
            Assert.Empty(Rewrite.Values(fields, removed));
        }

        Assert.Equal(["3"], Rewrite.Values(fields, "X-Kept"));
    }

    [Fact]
    public void RequestLine_CarriesTheUpstreamTarget_AndHostIsTheUpstreamAuthorityFirst()
    {
        (_, string head, _) = Rewrite.Run(RequestCorpus.Valid["kubectl get pods"].Head);

        Assert.StartsWith(
            "GET /api/v1/namespaces/default/pods?limit=500 HTTP/1.1\r\nHost: 10.0.0.5:6443\r\nUser-Agent: kubectl/",
            head,
            StringComparison.Ordinal);
        Assert.Equal([Rewrite.Authority], Rewrite.Values(Rewrite.Fields(head), "Host"));
    }

    [Theory]
    [InlineData("GET /k8s/clusters/c1 HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\n")]
    [InlineData("GET /k8s/clusters/c1?timeout=32s HTTP/1.1\r\nHost: a\r\n\r\n", "GET /?timeout=32s HTTP/1.1\r\n")]
    [InlineData("GET /k8s/clusters/local/version HTTP/1.0\r\n\r\n", "GET /version HTTP/1.1\r\n")]
    public void RequestLine_MapsTheTargetAndSendsOurOwnVersion(string request, string requestLine)
    {
        (_, string head, _) = Rewrite.Run(request);

        Assert.StartsWith(requestLine, head, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherHeaders_AreKeptInOrder()
    {
        (_, string head, _) = Rewrite.Run(RequestCorpus.Valid["kubectl apply (POST, Content-Length)"].Head);

        List<(string Name, string Value)> fields = Rewrite.Fields(head);
        Assert.Equal(
            ["Host", "User-Agent", "Accept", "Content-Type", "Kubectl-Command", "Content-Length", "Impersonate-User"],
            fields.GetRange(0, 7).ConvertAll(field => field.Name));
        Assert.Equal(["60"], Rewrite.Values(fields, "Content-Length"));
    }

    [Fact]
    public void ChunkedFraming_IsSentOnce()
    {
        (_, string head, _) = Rewrite.Run(RequestCorpus.Valid["chunked PUT"].Head);

        List<(string Name, string Value)> fields = Rewrite.Fields(head);
        Assert.Equal(["chunked"], Rewrite.Values(fields, "Transfer-Encoding"));
        Assert.Empty(Rewrite.Values(fields, "Content-Length"));
    }

    [Fact]
    public void RepeatedIdenticalContentLength_IsSentOnce()
    {
        (_, string head, _) = Rewrite.Run("POST /k8s/clusters/c1/api HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\ncontent-length: 7\r\n\r\n");

        Assert.Equal(["7"], Rewrite.Values(Rewrite.Fields(head), "Content-Length"));
    }

    [Theory]
    [InlineData("kubectl exec (SPDY/3.1 upgrade)", "SPDY/3.1")]
    [InlineData("kubectl exec (WebSocket upgrade)", "websocket")]
    public void GenuineUpgrade_KeepsConnectionUpgradeAndUpgrade(string name, string protocol)
    {
        (RewriteError error, string head, _) = Rewrite.Run(RequestCorpus.Valid[name].Head);

        Assert.Equal(RewriteError.None, error);
        List<(string Name, string Value)> fields = Rewrite.Fields(head);
        Assert.Equal(["Upgrade"], Rewrite.Values(fields, "Connection"));
        Assert.Equal([protocol], Rewrite.Values(fields, "Upgrade"));
    }

    [Theory]
    [InlineData("Upgrade: websocket\r\n")]
    [InlineData("Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n")]
    [InlineData("Connection: Upgrade\r\nUpgrade: websocket, h2c\r\n")]
    [InlineData("Connection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: SPDY/3.1\r\n")]
    public void UpgradeThatIsNotGenuineOrNotTunnelled_IsRemoved(string upgradeFields)
    {
        (RewriteError error, string head, _) = Rewrite.Run("GET /k8s/clusters/c1/api HTTP/1.1\r\nHost: a\r\n" + upgradeFields + "\r\n");

        Assert.Equal(RewriteError.None, error);
        List<(string Name, string Value)> fields = Rewrite.Fields(head);
        Assert.Empty(Rewrite.Values(fields, "Upgrade"));
        Assert.Empty(Rewrite.Values(fields, "Connection"));
        Assert.Empty(Rewrite.Values(fields, "HTTP2-Settings"));
    }

    [Theory]
    [InlineData("v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.dG9rZW4, v4.channel.k8s.io", "v5.channel.k8s.io, v4.channel.k8s.io")]
    [InlineData("base64url.bearer.authorization.k8s.io.dG9rZW4,v4.channel.k8s.io", "v4.channel.k8s.io")]
    [InlineData("Base64url.Bearer.Authorization.K8s.Io.dG9rZW4 , v4.channel.k8s.io,", "v4.channel.k8s.io")]
    [InlineData("v4.channel.k8s.io", "v4.channel.k8s.io")]
    public void SecWebSocketProtocol_LosesBearerEntries_AndKeepsTheOthers(string offered, string forwarded)
    {
        (RewriteError error, string head, _) = Rewrite.Run(
            "GET /k8s/clusters/c1/api/v1/namespaces/d/pods/p/exec HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            $"Sec-WebSocket-Protocol: {offered}\r\n\r\n");

        Assert.Equal(RewriteError.None, error);
        Assert.Equal([forwarded], Rewrite.Values(Rewrite.Fields(head), "Sec-WebSocket-Protocol"));
        Assert.DoesNotContain("dG9rZW4", head, StringComparison.Ordinal);
    }

    [Fact]
    public void SecWebSocketProtocol_WithOnlyBearerEntries_IsDropped()
    {
        (RewriteError error, string head, _) = Rewrite.Run(
            "GET /k8s/clusters/c1/api HTTP/1.1\r\nHost: a\r\n" +
            "Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.dG9rZW4\r\n" +
            "sec-websocket-protocol: base64url.bearer.authorization.k8s.io.b3RoZXI\r\n\r\n");

        Assert.Equal(RewriteError.None, error);
        Assert.DoesNotContain("Sec-WebSocket-Protocol", head, StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string> IdentityHeadersThatMustNotPass() => new()
    {
        "Impersonate-Group: system:masters\r\n",
        "impersonate-user: admin\r\n",
        "Impersonate-Uid: 0\r\n",
        "Authorization: Bearer stolen\r\n",
        "Proxy-Authorization: Basic YTpi\r\n",
        "X-Remote-User: admin\r\n",
        "Cookie: R_SESS=token-abcde:secret\r\n",
        "Sec-WebSocket-Protocol: v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.dG9rZW4\r\n",
    };

    [Theory]
    [MemberData(nameof(IdentityHeadersThatMustNotPass))]
    public void FinalCheck_FailsClosed_WhenRemovalIsBypassed(string clientHeader)
    {
        // The test seam switches the removal rules off, so only the final check stands between the
        // client's header and the upstream: it must refuse, and nothing may be written.
        (RewriteError error, string head, int written) = Rewrite.Run(
            "GET /k8s/clusters/c1/api HTTP/1.1\r\nHost: a\r\n" + clientHeader + "\r\n",
            removeClientHeaders: false);

        Assert.Equal(RewriteError.ForeignIdentityHeader, error);
        Assert.Equal(0, written);
        Assert.Equal("", head);
    }

    [Fact]
    public void FinalCheck_Passes_WhenRemovalIsBypassedButTheClientSentNothingIdentityBearing()
    {
        // The other half of the proof above: the seam itself does not make every request fail.
        (RewriteError error, _, int written) = Rewrite.Run(
            "GET /k8s/clusters/c1/api HTTP/1.1\r\nHost: a\r\nAccept: application/json\r\n\r\n",
            removeClientHeaders: false);

        Assert.Equal(RewriteError.None, error);
        Assert.True(written > 0);
    }
}
