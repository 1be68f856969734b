using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Appliance.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Api.Tests;

/// <summary>An API server on a clock the test moves: the token upkeep's timers fire only when it is advanced.</summary>
public sealed class FakeClockApiServer : ApiServerFixture
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureBuilder(WebApplicationBuilder builder) => builder.Services.AddSingleton<TimeProvider>(Time);
}

/// <summary>Token upkeep over the real API: last uses written at most once a minute, expired tokens deleted.</summary>
public sealed class TokenUpkeepTests(FakeClockApiServer server) : IClassFixture<FakeClockApiServer>
{
    private static readonly TimeSpan PollBound = TimeSpan.FromSeconds(10);

    private ResourceEngine Engine => server.Services.GetRequiredService<ResourceEngine>();

    private ResourceDefinition Tokens => Engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "tokens")!;

    private JsonObject? Token(string name) => Engine.Find(Tokens, null, name);

    private static string TokenName(string token) => token[..token.IndexOf(':', StringComparison.Ordinal)];

    private static string Rfc3339(DateTimeOffset time)
        => DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds()).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task UseAsync(string token)
    {
        using HttpClient client = server.CreateClient(token);
        using HttpResponseMessage response = await client.GetAsync("/api");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Polls (bounded, in real time) until the Token satisfies <paramref name="condition"/>.</summary>
    private async Task<JsonObject?> WaitForTokenAsync(string name, Func<JsonObject?, bool> condition)
    {
        long deadline = Environment.TickCount64 + (long)PollBound.TotalMilliseconds;
        while (true)
        {
            JsonObject? token = Token(name);
            if (condition(token))
            {
                return token;
            }

            Assert.True(Environment.TickCount64 < deadline, $"token {name} did not reach the expected state: {token?.ToJsonString()}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task UsingAToken_WritesLastUsedAt_ThenAtMostOnceAMinute()
    {
        string token = await server.IssueTokenAsync("u-upkeep1");
        string name = TokenName(token);
        TokenUsageWriter writer = server.Services.GetRequiredService<TokenUsageWriter>();
        Assert.Null(Token(name)![TokenUsageWriter.LastUsedAtField]);

        DateTimeOffset firstUse = server.Time.GetUtcNow();
        await UseAsync(token);
        await writer.WriteDueAsync(all: false, CancellationToken.None);
        // (A round of the writer's own, set off by an earlier test's advance, may have taken the use first.)
        JsonObject written = (await WaitForTokenAsync(name, t => t?[TokenUsageWriter.LastUsedAtField] is not null))!;
        Assert.Equal(Rfc3339(firstUse), written[TokenUsageWriter.LastUsedAtField]!.GetValue<string>());
        string revision = written["metadata"]!["resourceVersion"]!.GetValue<string>();

        // Used again 30 s later: not written yet, however often the writer looks.
        server.Time.Advance(TimeSpan.FromSeconds(30));
        DateTimeOffset secondUse = server.Time.GetUtcNow();
        await UseAsync(token);
        await UseAsync(token);
        await writer.WriteDueAsync(all: false, CancellationToken.None);
        Assert.Equal(revision, Token(name)!["metadata"]!["resourceVersion"]!.GetValue<string>());

        // A minute after the first write, the writer's own round (or this one) writes the later use.
        server.Time.Advance(TimeSpan.FromSeconds(31));
        await writer.WriteDueAsync(all: false, CancellationToken.None);
        await WaitForTokenAsync(name, t => t?[TokenUsageWriter.LastUsedAtField]?.GetValue<string>() == Rfc3339(secondUse));
    }

    [Fact]
    public async Task TheWriterRunsByItself_OnItsPeriod()
    {
        string token = await server.IssueTokenAsync("u-upkeep2");
        DateTimeOffset used = server.Time.GetUtcNow();
        await UseAsync(token);

        // Each advance fires the writer's timer once; it may be between rounds, so move on until it wrote.
        long deadline = Environment.TickCount64 + (long)PollBound.TotalMilliseconds;
        while (Token(TokenName(token))?[TokenUsageWriter.LastUsedAtField] is null)
        {
            Assert.True(Environment.TickCount64 < deadline, "the writer never wrote the use");
            server.Time.Advance(TokenUsageWriter.Period);
            await Task.Delay(20);
        }

        Assert.Equal(Rfc3339(used), Token(TokenName(token))![TokenUsageWriter.LastUsedAtField]!.GetValue<string>());
    }

    [Fact]
    public async Task ATokenDeletedBeforeItsUseIsWritten_IsForgotten()
    {
        string token = await server.IssueTokenAsync("u-upkeep3");
        await UseAsync(token);
        await Engine.DeleteIfExistsAsync(Tokens, null, TokenName(token));
        TokenUsage usage = server.Services.GetRequiredService<TokenAuthenticator>().Usage;
        await server.Services.GetRequiredService<TokenUsageWriter>().WriteDueAsync(all: true, CancellationToken.None);

        Assert.Null(Token(TokenName(token)));
        Assert.DoesNotContain(usage.TakeDue(all: true), use => use.TokenName == TokenName(token));
    }

    [Fact]
    public async Task ExpiredTokens_AreDeletedOnceTheGraceIsOver_OthersAreKept()
    {
        TokenIssuer issuer = server.Services.GetRequiredService<TokenIssuer>();
        await server.IssueTokenAsync("u-upkeep4");
        ApiToken shortLived = await issuer.IssueAsync("u-upkeep4", "session", "expires in an hour", TimeSpan.FromHours(1));
        ApiToken longLived = await issuer.IssueAsync("u-upkeep4", "session", "expires in ten hours", TimeSpan.FromHours(10));
        ApiToken forever = await issuer.IssueAsync("u-upkeep4", "apikey", "never expires", lifetime: null);
        TokenExpiryCollector collector = server.Services.GetRequiredService<TokenExpiryCollector>();

        await collector.CollectAsync();
        Assert.NotNull(Token(shortLived.Name));

        // Expired, and refused at once, but kept through the grace.
        server.Time.Advance(TimeSpan.FromHours(1) + TokenExpiryCollector.Grace / 2);
        using (HttpClient client = server.CreateClient(shortLived.ToString()))
        using (HttpResponseMessage response = await client.GetAsync("/api"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        await collector.CollectAsync();
        Assert.NotNull(Token(shortLived.Name));

        server.Time.Advance(TokenExpiryCollector.Grace);
        await collector.CollectAsync();
        await WaitForTokenAsync(shortLived.Name, t => t is null);
        Assert.NotNull(Token(longLived.Name));
        Assert.NotNull(Token(forever.Name));
        await UseAsync(longLived.ToString());
    }

    [Fact]
    public async Task TheCollectorRunsByItself_OnItsPeriod()
    {
        await server.IssueTokenAsync("u-upkeep5");
        ApiToken token = await server.Services.GetRequiredService<TokenIssuer>().IssueAsync("u-upkeep5", "session", "short", TimeSpan.FromMinutes(5));

        long deadline = Environment.TickCount64 + (long)PollBound.TotalMilliseconds;
        server.Time.Advance(TimeSpan.FromMinutes(5) + TokenExpiryCollector.Grace);
        while (Token(token.Name) is not null)
        {
            Assert.True(Environment.TickCount64 < deadline, "the collector never deleted the expired token");
            server.Time.Advance(TokenExpiryCollector.Period);
            await Task.Delay(20);
        }
    }
}
