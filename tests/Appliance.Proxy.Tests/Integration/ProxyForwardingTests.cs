using System.Net.Http;
using System.Net.Security;
using System.Text;

namespace Appliance.Proxy.Tests.Integration;

/// <summary>The proxy end to end over real TLS sockets: forwarding, streaming, keep-alive, errors, fallthrough.</summary>
public sealed class ProxyForwardingTests(ProxyFixture fixture) : IClassFixture<ProxyFixture>
{
    [Fact]
    public async Task Get_IsForwardedWithTheUpstreamPathAndAnswered()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api/v1/namespaces/default/pods?limit=500&marker=get1"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Contains("\"target\":\"/api/v1/namespaces/default/pods?limit=500&marker=get1\"", response.BodyText, StringComparison.Ordinal);
        RecordedRequest forwarded = Assert.Single(fixture.Upstream.RequestsMatching("marker=get1"));
        Assert.Equal("GET", forwarded.Method);
        Assert.Equal("10.0.0.5:6443", forwarded.Header("Host"));
    }

    [Fact]
    public async Task Post_BodyIsStreamedToTheUpstream()
    {
        await using RawClient client = await fixture.ConnectAsync();
        string body = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"post1\"},\"data\":{\"k\":\"" + new string('x', 300_000) + "\"}}";
        await client.SendAsync($"POST /k8s/clusters/c1/api/v1/namespaces/default/configmaps?marker=post1 HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer {TestAuthenticator.AliceToken}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        RecordedRequest forwarded = Assert.Single(fixture.Upstream.RequestsMatching("marker=post1"));
        Assert.Equal(body, Encoding.Latin1.GetString(forwarded.Body));
        Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), forwarded.Header("Content-Length"));
    }

    [Fact]
    public async Task ChunkedRequestBody_IsForwardedInCanonicalChunks()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync($"PUT /k8s/clusters/c1/api/v1/x?marker=chunked-req HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer {TestAuthenticator.AliceToken}\r\nTransfer-Encoding: chunked\r\n\r\n");
        await client.SendAsync("4;name=value\r\n{\"a\"\r\n");
        await client.SendAsync("3\r\n:1}\r\n0\r\nX-Trailer: dropped\r\n\r\n");

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        RecordedRequest forwarded = Assert.Single(fixture.Upstream.RequestsMatching("marker=chunked-req"));
        Assert.Equal("{\"a\":1}", Encoding.Latin1.GetString(forwarded.Body));
        Assert.Equal("chunked", forwarded.Header("Transfer-Encoding"));
        string raw = fixture.Upstream.ReceivedText();
        Assert.DoesNotContain("name=value", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Trailer", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepAlive_SecondRequestOnTheSameConnection_ReusesThePooledUpstreamConnection()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/version?marker=ka1"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/version?marker=ka2"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        RecordedRequest first = Assert.Single(fixture.Upstream.RequestsMatching("marker=ka1"));
        RecordedRequest second = Assert.Single(fixture.Upstream.RequestsMatching("marker=ka2"));
        Assert.Equal(first.Connection, second.Connection);
    }

    [Fact]
    public async Task Get_OnAKeptConnectionTheUpstreamClosedWhileIdle_GoesAgainOnANewConnection()
    {
        await using RawClient client = await fixture.ConnectAsync();
        int closed = fixture.SilentlyClosed;
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/close-silently?marker=stale-get1"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        Assert.True(await ProxyFixture.EventuallyAsync(() => fixture.SilentlyClosed > closed));

        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api/v1/namespaces/default/pods?marker=stale-get2"));
        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        RecordedRequest first = Assert.Single(fixture.Upstream.RequestsMatching("marker=stale-get1"));
        RecordedRequest second = Assert.Single(fixture.Upstream.RequestsMatching("marker=stale-get2"));
        Assert.NotEqual(first.Connection, second.Connection);
        // Sent on the closed connection first (a GET is not checked beforehand), then again: the retry, not a probe.
        Assert.Contains(fixture.Logs.Messages, m => m.Contains("was closed by the API server", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_OnAKeptConnectionTheUpstreamClosedWhileIdle_IsSentOnceOnANewConnection()
    {
        await using RawClient client = await fixture.ConnectAsync();
        int closed = fixture.SilentlyClosed;
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/close-silently?marker=stale-post1"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        Assert.True(await ProxyFixture.EventuallyAsync(() => fixture.SilentlyClosed > closed));

        await client.SendAsync($"POST /k8s/clusters/c1/api/v1/x?marker=stale-post2 HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer {TestAuthenticator.AliceToken}\r\nContent-Length: 5\r\n\r\nhello");
        ClientResponse response = await client.ReadResponseAsync();

        // A body cannot be sent twice, so the connection is checked before it is used: the POST never meets the closed one.
        Assert.Equal(200, response.Status);
        RecordedRequest post = Assert.Single(fixture.Upstream.RequestsMatching("marker=stale-post2"));
        Assert.Equal("hello", Encoding.Latin1.GetString(post.Body));
        Assert.NotEqual(Assert.Single(fixture.Upstream.RequestsMatching("marker=stale-post1")).Connection, post.Connection);
    }

    [Fact]
    public async Task UpstreamAnsweringBeforeTheBodyIsSent_ItsAnswerReachesTheClientAndTheConnectionCloses()
    {
        await using RawClient client = await fixture.ConnectAsync();
        const int BodyLength = 64 * 1024 * 1024;
        await client.SendAsync($"POST /k8s/clusters/c1/early-forbidden?marker=early1 HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer {TestAuthenticator.AliceToken}\r\nContent-Length: {BodyLength}\r\n\r\n");
        Task sending = Task.Run(async () =>
        {
            byte[] chunk = new byte[64 * 1024];
            for (int sent = 0; sent < BodyLength; sent += chunk.Length)
            {
                await client.SendAsync(chunk);
            }
        });

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(403, response.Status);
        Assert.Equal("{\"reason\":\"Forbidden\",\"x\":\"yz\"}", response.BodyText);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await client.IsClosedAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => sending); // Cut off: the proxy stopped reading the body.
        Assert.Single(fixture.Upstream.RequestsMatching("marker=early1"));
    }

    [Fact]
    public async Task ExpectContinue_IsAnsweredByTheProxyAndNotSentUpstream()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync($"POST /k8s/clusters/c1/api/v1/x?marker=expect1 HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer {TestAuthenticator.AliceToken}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
        Assert.Equal(100, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("hello");

        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        RecordedRequest forwarded = Assert.Single(fixture.Upstream.RequestsMatching("marker=expect1"));
        Assert.Null(forwarded.Header("Expect"));
        Assert.Equal("hello", Encoding.Latin1.GetString(forwarded.Body));
    }

    [Fact]
    public async Task PipelinedRequests_AreAnsweredInOrder()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(
            RawClient.Get("/k8s/clusters/c1/first?marker=pipe1") +
            $"POST /k8s/clusters/c1/api/v1/x?marker=pipe2 HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer {TestAuthenticator.AliceToken}\r\nContent-Length: 5\r\n\r\nhello" +
            RawClient.Get("/k8s/clusters/c1/apis?marker=pipe3"));

        ClientResponse first = await client.ReadResponseAsync();
        ClientResponse second = await client.ReadResponseAsync();
        ClientResponse third = await client.ReadResponseAsync();

        Assert.Contains("marker=pipe1", first.BodyText, StringComparison.Ordinal);
        Assert.Contains("marker=pipe2", second.BodyText, StringComparison.Ordinal);
        Assert.Contains("\"bodyLength\":5", second.BodyText, StringComparison.Ordinal);
        Assert.Contains("marker=pipe3", third.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamedChunkedResponse_ArrivesBeforeTheUpstreamFinishes()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/slow-chunked?watch=true"));

        // The head and the first event come while the upstream still holds the rest back.
        Assert.Equal("HTTP/1.1 200 OK", await client.ReadLineAsync());
        string? line;
        bool chunked = false;
        while ((line = await client.ReadLineAsync()) is { Length: > 0 })
        {
            chunked |= line.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase);
        }

        Assert.True(chunked);
        Assert.Equal("B", await client.ReadLineAsync());
        Assert.Equal("first-event", await client.ReadLineAsync());

        fixture.SlowGate.Release();
        Assert.Equal("C", await client.ReadLineAsync());
        Assert.Equal("second-event", await client.ReadLineAsync());
        Assert.Equal("0", await client.ReadLineAsync());
        Assert.Equal("", await client.ReadLineAsync());
    }

    [Fact]
    public async Task ChunkedResponse_ExtensionsAndTrailersAreDropped()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/chunked"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal("hello world", response.BodyText);
        Assert.DoesNotContain("ext", response.Head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http10Client_GetsAChunkedResponseDechunkedAndTheConnectionCloses()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync($"GET /k8s/clusters/c1/chunked HTTP/1.0\r\nAuthorization: Bearer {TestAuthenticator.AliceToken}\r\n\r\n");

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Null(response.Header("Transfer-Encoding"));
        Assert.Equal("close", response.Header("Connection"));
        Assert.Equal("hello world", response.BodyText);
    }

    [Fact]
    public async Task HeadAndNoContent_HaveNoBody_AndTheConnectionStaysUsable()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync($"HEAD /k8s/clusters/c1/api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TestAuthenticator.AliceToken}\r\n\r\n");
        ClientResponse head = await client.ReadResponseAsync(headRequest: true);
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/no-content"));
        ClientResponse noContent = await client.ReadResponseAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/after?marker=after-head"));
        ClientResponse after = await client.ReadResponseAsync();

        Assert.Equal(200, head.Status);
        Assert.NotNull(head.Header("Content-Length"));
        Assert.Equal(204, noContent.Status);
        Assert.Contains("after-head", after.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InterimResponse_IsRelayedBeforeTheFinalOne()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/interim"));

        ClientResponse interim = await client.ReadResponseAsync();
        ClientResponse final = await client.ReadResponseAsync();

        Assert.Equal(103, interim.Status);
        Assert.Equal(200, final.Status);
        Assert.Equal("ok", final.BodyText);
    }

    [Fact]
    public async Task ResponseDelimitedByClose_IsRelayedAndTheClientConnectionCloses()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/until-close"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal("close", response.Header("Connection"));
        Assert.Equal("body-until-close", response.BodyText);
    }

    [Fact]
    public async Task ResponseHopByHopHeaders_AreNotRelayed()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/response-hop"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal("1", response.Header("X-End-To-End"));
        Assert.Null(response.Header("X-Hop-Only"));
        Assert.Null(response.Header("Keep-Alive"));
    }

    [Fact]
    public async Task AmbiguousResponseFraming_Is502()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/ambiguous-response"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(502, response.Status);
        Assert.Contains("\"kind\":\"Status\"", response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamConnectionClose_IsNotReused_ButTheClientConnectionIs()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/close-after?marker=ca1"));
        ClientResponse first = await client.ReadResponseAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api?marker=ca2"));
        ClientResponse second = await client.ReadResponseAsync();

        Assert.Equal("ok", first.BodyText);
        Assert.Null(first.Header("Connection"));
        Assert.Equal(200, second.Status);
        Assert.NotEqual(
            Assert.Single(fixture.Upstream.RequestsMatching("marker=ca1")).Connection,
            Assert.Single(fixture.Upstream.RequestsMatching("marker=ca2")).Connection);
    }

    [Fact]
    public async Task ClientIdentityHeaders_NeverReachTheUpstream_OursDo()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(
            "GET /k8s/clusters/c1/api/v1/secrets?marker=identity HTTP/1.1\r\nHost: proxy.test\r\n" +
            $"Authorization: Bearer {TestAuthenticator.AliceToken}\r\n" +
            "Impersonate-User: admin\r\nimpersonate-group: system:masters\r\nIMPERSONATE-UID: 0\r\nImpersonate-Extra-scopes: all\r\n" +
            "Impersonate_User: admin2\r\nX-Remote-User: admin\r\nX-Remote-Group: system:masters\r\nProxy-Authorization: Basic eDp5\r\n" +
            "Connection: X-Custom\r\nX-Custom: hop\r\nCookie: R_SESS=token-bob:s3cr3t-bob-1a2b3c\r\n" +
            "Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.c2VjcmV0, v5.channel.k8s.io\r\n\r\n");

        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        RecordedRequest forwarded = Assert.Single(fixture.Upstream.RequestsMatching("marker=identity"));
        Assert.Equal(["u-alice"], forwarded.HeaderValues("Impersonate-User"));
        Assert.Equal(["local://g-devs", "system:authenticated"], forwarded.HeaderValues("Impersonate-Group"));
        Assert.Equal(["Bearer sa-token-c1"], forwarded.HeaderValues("Authorization"));
        Assert.Equal(["local://u-alice"], forwarded.HeaderValues("Impersonate-Extra-principalid"));
        Assert.Equal(["Alice Example"], forwarded.HeaderValues("Impersonate-Extra-username"));
        Assert.Equal(["token-alice"], forwarded.HeaderValues("Impersonate-Extra-requesttokenid"));
        Assert.Empty(forwarded.HeaderValues("Impersonate-Uid"));
        Assert.Empty(forwarded.HeaderValues("Impersonate-Extra-scopes"));
        Assert.Empty(forwarded.HeaderValues("Impersonate_User"));
        Assert.Empty(forwarded.HeaderValues("X-Remote-User"));
        Assert.Empty(forwarded.HeaderValues("X-Remote-Group"));
        Assert.Empty(forwarded.HeaderValues("Proxy-Authorization"));
        Assert.Empty(forwarded.HeaderValues("X-Custom"));
        Assert.Empty(forwarded.HeaderValues("Cookie"));
        Assert.Equal(["v5.channel.k8s.io"], forwarded.HeaderValues("Sec-WebSocket-Protocol"));
        Assert.DoesNotContain("s3cr3t", forwarded.RawHead, StringComparison.Ordinal);
        Assert.DoesNotContain("system:masters", forwarded.RawHead, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Basic")]
    [InlineData("Cookie")]
    public async Task BasicAndSessionCookieCredentials_Authenticate(string kind)
    {
        string credential = kind == "Basic"
            ? "Authorization: Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes(TestAuthenticator.BobToken)) + "\r\n"
            : $"Cookie: theme=dark; R_SESS={TestAuthenticator.BobToken}; other=1\r\n";
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get($"/k8s/clusters/c2/api?marker=cred-{kind}", token: null, extraHeaders: credential));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        RecordedRequest forwarded = Assert.Single(fixture.Other.RequestsMatching($"marker=cred-{kind}"));
        Assert.Equal(["u-bob"], forwarded.HeaderValues("Impersonate-User"));
        Assert.Contains(fixture.Authenticator.Calls, call => call.Credential == TestAuthenticator.BobToken
            && call.Scheme == (kind == "Basic" ? ProxyCredentialScheme.Basic : ProxyCredentialScheme.SessionCookie));
    }

    [Theory]
    [InlineData(null, 401)]
    [InlineData("token-alice:wrong-secret", 401)]
    [InlineData(TestAuthenticator.RevokedToken, 401)]
    public async Task BadOrMissingCredential_Is401WithAChallenge(string? token, int status)
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api?marker=unauth", token));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(status, response.Status);
        Assert.Equal("Bearer realm=\"appliance\"", response.Header("WWW-Authenticate"));
        Assert.Contains("\"reason\":\"Unauthorized\"", response.BodyText, StringComparison.Ordinal);
        Assert.Empty(fixture.Upstream.RequestsMatching("marker=unauth"));
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task CallerWithoutRoleOnTheCluster_Is403Status()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c2/api?marker=forbidden"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(403, response.Status);
        Assert.Contains("\"kind\":\"Status\"", response.BodyText, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"Forbidden\"", response.BodyText, StringComparison.Ordinal);
        Assert.Contains("\"code\":403", response.BodyText, StringComparison.Ordinal);
        Assert.Empty(fixture.Other.RequestsMatching("marker=forbidden"));
    }

    [Fact]
    public async Task UnknownCluster_Is404Status()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/unknown-to-directory/api"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(404, response.Status);
        Assert.Contains("\"reason\":\"NotFound\"", response.BodyText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dead")]
    [InlineData("badca")]
    [InlineData("wrongname")]
    public async Task UnreachableOrUntrustedUpstream_Is502Status(string cluster)
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get($"/k8s/clusters/{cluster}/api"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(502, response.Status);
        Assert.Contains("\"code\":502", response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DirectTlsUpstream_VerifiedAgainstTheClusterCa_IsForwardedAndPooled()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/tls/version?marker=tls1"));
        ClientResponse first = await client.ReadResponseAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/tls/version?marker=tls2"));
        ClientResponse second = await client.ReadResponseAsync();

        Assert.Equal(200, first.Status);
        Assert.Equal(200, second.Status);
        Assert.Equal(
            Assert.Single(fixture.Tls.RequestsMatching("marker=tls1")).Connection,
            Assert.Single(fixture.Tls.RequestsMatching("marker=tls2")).Connection);
    }

    [Fact]
    public async Task UpstreamThatNeverAnswers_Is504Status()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/hang"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(504, response.Status);
        Assert.Contains("\"reason\":\"Timeout\"", response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamThatResets_Is502Status()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/reset"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(502, response.Status);
    }

    [Fact]
    public async Task UpstreamDyingMidBody_ClosesTheClientConnection()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/die-mid-body"));

        Assert.Equal("HTTP/1.1 200 OK", await client.ReadLineAsync());
        using var cancel = new CancellationTokenSource(RawClient.DefaultTimeout);
        byte[] rest = await client.ReadToEndAsync(cancel.Token);

        Assert.EndsWith("0123456789", Encoding.Latin1.GetString(rest), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c1", false)]
    [InlineData("c1", true)]
    [InlineData("tls", false)]
    [InlineData("tls", true)]
    public async Task ClientStallingOrLeavingMidBody_ClosesTheUpstreamConnection_AndTheProxyGoesOn(string cluster, bool leaves)
    {
        TestUpstream upstream = cluster == "tls" ? fixture.Tls : fixture.Upstream;
        int closed = upstream.ClosedByPeer.Count;
        RawClient client = await fixture.ConnectAsync();
        await client.SendAsync($"POST /k8s/clusters/{cluster}/api/v1/x?marker=cut-body HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer {TestAuthenticator.AliceToken}\r\nContent-Length: 100\r\n\r\n0123456789");
        if (leaves)
        {
            await client.DisposeAsync();
        }
        else
        {
            // RequestBodyIdleTimeout (2 s here) ends it; the half-sent request cannot be answered.
            Assert.True(await client.IsClosedAsync(ProxyFixture.ShortTimeout * 4));
            await client.DisposeAsync();
        }

        Assert.True(await ProxyFixture.EventuallyAsync(() => upstream.ClosedByPeer.Count > closed, ProxyFixture.ShortTimeout * 4));
        await using RawClient next = await fixture.ConnectAsync();
        await next.SendAsync(RawClient.Get($"/k8s/clusters/{cluster}/version"));
        Assert.Equal(200, (await next.ReadResponseAsync()).Status);
    }

    [Theory]
    [InlineData("c1")]
    [InlineData("tls")]
    public async Task Upgrade_After101_RelaysBytesBothWays_AndHalfCloseLetsTheUpstreamFinish(string cluster)
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(
            $"POST /k8s/clusters/{cluster}/echo?command=sh HTTP/1.1\r\nHost: proxy.test\r\n" +
            $"Authorization: Bearer {TestAuthenticator.AliceToken}\r\n" +
            "Content-Length: 0\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n");

        ClientResponse switching = await client.ReadResponseAsync();
        Assert.Equal(101, switching.Status);
        Assert.Equal("SPDY/3.1", switching.Header("Upgrade"));

        await client.SendAsync("ping-1\r\n");
        Assert.Equal("ping-1", await client.ReadLineAsync());
        await client.SendAsync("ping-2\r\n");
        Assert.Equal("ping-2", await client.ReadLineAsync());

        await client.ShutdownWriteAsync();
        Assert.Equal("bye", await client.ReadLineAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task WebSocketUpgrade_After101_RelaysBytes()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(
            "GET /k8s/clusters/c1/echo?command=sh HTTP/1.1\r\nHost: proxy.test\r\n" +
            $"Authorization: Bearer {TestAuthenticator.AliceToken}\r\n" +
            "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");

        Assert.Equal(101, (await client.ReadResponseAsync()).Status);
        await client.SendAsync("frame\r\n");
        Assert.Equal("frame", await client.ReadLineAsync());
    }

    [Fact]
    public async Task UpgradeAnsweredWithoutA101_IsRelayed_AndTheConnectionKeepsBeingParsed()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(
            "GET /k8s/clusters/c1/upgrade-refused HTTP/1.1\r\nHost: proxy.test\r\n" +
            $"Authorization: Bearer {TestAuthenticator.AliceToken}\r\n" +
            "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        ClientResponse refused = await client.ReadResponseAsync();

        // Not a tunnel: this is parsed as the next request and forwarded as one.
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api?marker=after-refused-upgrade"));
        ClientResponse next = await client.ReadResponseAsync();

        Assert.Equal(400, refused.Status);
        Assert.Equal("{\"upgrade\":false}", refused.BodyText);
        Assert.Equal(200, next.Status);
        Assert.Single(fixture.Upstream.RequestsMatching("marker=after-refused-upgrade"));
    }

    [Fact]
    public async Task H2cUpgrade_IsForwardedAsAPlainRequest()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api?marker=h2c", extraHeaders: "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        RecordedRequest forwarded = Assert.Single(fixture.Upstream.RequestsMatching("marker=h2c"));
        Assert.Null(forwarded.Header("Upgrade"));
        Assert.Null(forwarded.Header("HTTP2-Settings"));
    }

    [Fact]
    public async Task NonProxyFirstRequest_ReachesTheApiOnTheSamePort()
    {
        using var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } };
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{fixture.Port}"), Timeout = RawClient.DefaultTimeout };

        Assert.Equal("pong", await http.GetStringAsync("/api/ping"));
        Assert.Equal("not the proxy", await http.GetStringAsync("/k8s"));
    }

    [Fact]
    public async Task NonProxyFirstRequest_ArrivingInPieces_StillReachesTheApi()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync("GET /k8");
        await client.SendAsync("s HTTP/1.1\r\nHost: x\r\n\r\n");

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("not the proxy", response.BodyText);
    }

    [Fact]
    public async Task ProxyFirstRequest_ArrivingInPieces_IsForwarded()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync("GET /k8s/clu");
        await client.SendAsync("sters/c1/in-pieces?marker=pieces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestAuthenticator.AliceToken + "\r\n\r\n");

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Contains("marker=pieces", response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LaterRequestForAnotherPath_OnAProxyConnection_Is421AndCloses()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api?marker=before-421"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        await client.SendAsync(RawClient.Get("/api/ping"));

        ClientResponse response = await client.ReadResponseAsync();

        Assert.Equal(421, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Http2Alpn_IsNotTakenByTheProxy()
    {
        // The listener offers only http/1.1 (as the product's will), so h2 is refused and http/1.1 chosen.
        await using RawClient client = await RawClient.ConnectAsync(fixture.Port, SslApplicationProtocol.Http2, SslApplicationProtocol.Http11);
        Assert.Equal(SslApplicationProtocol.Http11, client.NegotiatedProtocol);
    }

    [Fact]
    public async Task SlowClient_PartialHead_IsClosedAfterTheHeadersTimeout()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync($"GET /k8s/clusters/c1/api HTTP/1.1\r\nHost: x\r\n");

        string rest = Encoding.Latin1.GetString(await ReadAllWithinAsync(client, ProxyFixture.ShortTimeout * 4));

        Assert.StartsWith("HTTP/1.1 408", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowClient_TricklingTheFirstLine_IsClosedAfterTheHeadersTimeout()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync("GET /k8s/clu");

        Assert.True(await client.IsClosedAsync(ProxyFixture.ShortTimeout * 4));
    }

    [Fact]
    public async Task IdleKeepAliveConnection_IsClosedAfterTheKeepAliveTimeout()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api?marker=idle"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        Assert.True(await client.IsClosedAsync(ProxyFixture.ShortTimeout * 4));
    }

    [Fact]
    public async Task AuditLine_PerProxiedRequest_WithoutTokensOrQuery()
    {
        await using RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api/v1/namespaces/default/pods?marker=audit-secret-query"));
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);

        string? line = null;
        Assert.True(await ProxyFixture.EventuallyAsync(() =>
        {
            line = fixture.Audit.Lines.FirstOrDefault(l => l.Contains("/api/v1/namespaces/default/pods", StringComparison.Ordinal));
            return line is not null;
        }));

        using var json = System.Text.Json.JsonDocument.Parse(line!);
        System.Text.Json.JsonElement root = json.RootElement;
        Assert.Equal("u-alice", root.GetProperty("user").GetString());
        Assert.Equal("c1", root.GetProperty("cluster").GetString());
        Assert.Equal("GET", root.GetProperty("method").GetString());
        Assert.Equal("/api/v1/namespaces/default/pods", root.GetProperty("path").GetString());
        Assert.Equal(200, root.GetProperty("status").GetInt32());
        Assert.True(root.GetProperty("responseBytes").GetInt64() > 0);
        Assert.Equal(["local://g-devs", "system:authenticated"], root.GetProperty("groups").EnumerateArray().Select(g => g.GetString()!).ToArray());
        Assert.EndsWith("\n", line, StringComparison.Ordinal);

        foreach (string audit in fixture.Audit.Lines)
        {
            Assert.DoesNotContain("s3cr3t", audit, StringComparison.Ordinal);
            Assert.DoesNotContain("sa-token", audit, StringComparison.Ordinal);
            Assert.DoesNotContain("marker=", audit, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AuditLine_PerRefusedRequest_WithTheCallerWhenKnownAndNoToken()
    {
        await using (RawClient anonymous = await fixture.ConnectAsync())
        {
            await anonymous.SendAsync(RawClient.Get("/k8s/clusters/c1/api/v1/namespaces/audit-refused-401/pods?x=1", "token-alice:wrong-secret-audited"));
            Assert.Equal(401, (await anonymous.ReadResponseAsync()).Status);
        }

        await using (RawClient alice = await fixture.ConnectAsync())
        {
            await alice.SendAsync(RawClient.Get("/k8s/clusters/c2/api/v1/namespaces/audit-refused-403/pods"));
            Assert.Equal(403, (await alice.ReadResponseAsync()).Status);
        }

        string? unauthenticated = null;
        string? forbidden = null;
        Assert.True(await ProxyFixture.EventuallyAsync(() =>
        {
            unauthenticated = fixture.Audit.Lines.FirstOrDefault(l => l.Contains("audit-refused-401", StringComparison.Ordinal));
            forbidden = fixture.Audit.Lines.FirstOrDefault(l => l.Contains("audit-refused-403", StringComparison.Ordinal));
            return unauthenticated is not null && forbidden is not null;
        }));

        using var first = System.Text.Json.JsonDocument.Parse(unauthenticated!);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, first.RootElement.GetProperty("user").ValueKind);
        Assert.Equal("c1", first.RootElement.GetProperty("cluster").GetString());
        Assert.Equal("/api/v1/namespaces/audit-refused-401/pods", first.RootElement.GetProperty("path").GetString());
        Assert.Equal(401, first.RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain("wrong-secret-audited", unauthenticated, StringComparison.Ordinal);
        using var second = System.Text.Json.JsonDocument.Parse(forbidden!);
        Assert.Equal("u-alice", second.RootElement.GetProperty("user").GetString());
        Assert.Equal("c2", second.RootElement.GetProperty("cluster").GetString());
        Assert.Equal(403, second.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task ClientLeavingAnIdleWatch_ClosesItsUpstreamConnection()
    {
        RawClient client = await fixture.ConnectAsync();
        await client.SendAsync(RawClient.Get("/k8s/clusters/c1/idle-watch?watch=true&marker=left-watch"));
        Assert.Equal("HTTP/1.1 200 OK", await client.ReadLineAsync());
        int connection = 0;
        Assert.True(await ProxyFixture.EventuallyAsync(() =>
        {
            List<RecordedRequest> seen = fixture.Upstream.RequestsMatching("marker=left-watch");
            connection = seen.Count == 1 ? seen[0].Connection : 0;
            return connection != 0;
        }));

        await client.DisposeAsync(); // The upstream is still holding the rest of the watch back.

        Assert.True(await ProxyFixture.EventuallyAsync(() => fixture.Upstream.ClosedByPeer.Contains(connection)), "the upstream connection of a departed client stays open");
    }

    [Fact]
    public async Task Logs_NeverContainTokensOrSecrets()
    {
        await using (RawClient client = await fixture.ConnectAsync())
        {
            await client.SendAsync(RawClient.Get("/k8s/clusters/c1/api", token: "token-alice:s3cr3t-but-wrong"));
            await client.ReadResponseAsync();
        }

        await using (RawClient client = await fixture.ConnectAsync())
        {
            await client.SendAsync(RawClient.Get("/k8s/clusters/dead/api"));
            await client.ReadResponseAsync();
        }

        await using (RawClient client = await fixture.ConnectAsync())
        {
            await client.SendAsync("GET /k8s/clusters/c1/api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestAuthenticator.AliceToken + "\r\nX-Bad : 1\r\n\r\n");
            await client.ReadResponseAsync();
        }

        Assert.True(await ProxyFixture.EventuallyAsync(() => fixture.Logs.Messages.Any(m => m.Contains("could not connect", StringComparison.Ordinal))));
        Assert.NotEmpty(fixture.Logs.Messages);
        foreach (string message in fixture.Logs.Messages)
        {
            Assert.DoesNotContain("s3cr3t", message, StringComparison.Ordinal);
            Assert.DoesNotContain("sa-token", message, StringComparison.Ordinal);
        }
    }

    private static async Task<byte[]> ReadAllWithinAsync(RawClient client, TimeSpan within)
    {
        using var cancel = new CancellationTokenSource(within);
        return await client.ReadToEndAsync(cancel.Token);
    }
}
