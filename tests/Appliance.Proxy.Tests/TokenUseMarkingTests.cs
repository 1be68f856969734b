using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Proxy.Tests;

/// <summary>Every authenticated request is a use of its token (the proxy's, through the miss that fills its cache); refusals are not.</summary>
public sealed class TokenUseMarkingTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-token-use-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private KeyValueStore _store = null!;
    private TokenHasher _hasher = null!;
    private TokenAuthenticator _tokens = null!;
    private TokenProxyAuthenticator _proxy = null!;

    public async Task InitializeAsync()
    {
        _store = await KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = Path.Combine(_directory, "state.db") });
        _hasher = new TokenHasher(ServerKeyFile.LoadOrCreate(_directory));
        _tokens = new TokenAuthenticator(_store, _hasher, _time);
        _proxy = new TokenProxyAuthenticator(() => _tokens, (_, cluster) => cluster == "c1", _time);
        Assert.True((await _store.CreateAsync(TokenAuthenticator.UserKeyPrefix + "u-alice", Encoding.UTF8.GetBytes(new JsonObject { ["username"] = "alice", ["principalIds"] = new JsonArray("local://u-alice") }.ToJsonString()))).IsOk);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<ApiToken> IssueAsync()
    {
        ApiToken token = ApiToken.Generate();
        var stored = new JsonObject { ["userId"] = "u-alice", ["hash"] = Convert.ToBase64String(_hasher.Hash(token.Secret)) };
        Assert.True((await _store.CreateAsync(TokenAuthenticator.TokenKeyPrefix + token.Name, Encoding.UTF8.GetBytes(stored.ToJsonString()))).IsOk);
        return token;
    }

    private ValueTask<ProxyAuthResult> ProxyAsync(string credential, string cluster = "c1")
        => _proxy.AuthenticateAsync(ProxyCredentialScheme.Bearer, Encoding.ASCII.GetBytes(credential), Encoding.ASCII.GetBytes(cluster), CancellationToken.None);

    [Fact]
    public async Task ApiAuthentication_MarksAUse_AndARefusalDoesNot()
    {
        ApiToken token = await IssueAsync();
        string wrong = token.Name + ":" + new string('x', ApiToken.SecretLength);
        Assert.Equal(TokenAuthenticationStatus.WrongSecret, _tokens.Authenticate(wrong, out _));
        Assert.Empty(_tokens.Usage.TakeDue());

        Assert.Equal(TokenAuthenticationStatus.Authenticated, _tokens.Authenticate(token.ToString(), out _));
        TokenUseToWrite due = Assert.Single(_tokens.Usage.TakeDue());
        Assert.Equal(token.Name, due.TokenName);
        Assert.Equal(_time.GetUtcNow(), due.UsedAt);
    }

    [Fact]
    public async Task ProxyUse_IsMarkedOncePerSecond_ByTheMissThatRefillsTheCache()
    {
        ApiToken token = await IssueAsync();
        Assert.Equal(ProxyAuthOutcome.Allowed, (await ProxyAsync(token.ToString())).Outcome);
        Assert.Equal(_time.GetUtcNow(), Assert.Single(_tokens.Usage.TakeDue(all: true)).UsedAt);

        // Hits within the entry's second are that same second's use.
        _time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Equal(ProxyAuthOutcome.Allowed, (await ProxyAsync(token.ToString())).Outcome);
        Assert.Empty(_tokens.Usage.TakeDue(all: true));

        // The next second's request refills the cache through the authenticator: a new use.
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(ProxyAuthOutcome.Allowed, (await ProxyAsync(token.ToString())).Outcome);
        Assert.Equal(_time.GetUtcNow(), Assert.Single(_tokens.Usage.TakeDue(all: true)).UsedAt);
    }

    [Fact]
    public async Task ProxyForbiddenCluster_IsStillAUseOfAValidToken_AndAWrongSecretIsNot()
    {
        ApiToken token = await IssueAsync();
        Assert.Equal(ProxyAuthOutcome.Unauthenticated, (await ProxyAsync(token.Name + ":" + new string('y', ApiToken.SecretLength))).Outcome);
        Assert.Empty(_tokens.Usage.TakeDue(all: true));

        Assert.Equal(ProxyAuthOutcome.Forbidden, (await ProxyAsync(token.ToString(), "c2")).Outcome);
        Assert.Single(_tokens.Usage.TakeDue(all: true));
    }
}
