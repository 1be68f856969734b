using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Proxy.Tests;

/// <summary>The proxy's token authentication over a real store: cached for at most a second, keyed without the secret.</summary>
public sealed class TokenProxyAuthenticatorTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-proxy-auth-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly HashSet<string> _allowedClusters = ["c1"];
    private KeyValueStore _store = null!;
    private TokenHasher _hasher = null!;
    private TokenProxyAuthenticator _authenticator = null!;
    private int _accessChecks;

    public async Task InitializeAsync()
    {
        _store = await KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = Path.Combine(_directory, "state.db") });
        _hasher = new TokenHasher(ServerKeyFile.LoadOrCreate(_directory));
        var tokens = new TokenAuthenticator(_store, _hasher, _time);
        _authenticator = new TokenProxyAuthenticator(() => tokens, (user, cluster) =>
        {
            Interlocked.Increment(ref _accessChecks);
            return _allowedClusters.Contains(cluster);
        }, _time);
        await PutAsync(TokenAuthenticator.UserKeyPrefix + "u-alice", new JsonObject
        {
            ["username"] = "alice",
            ["displayName"] = "Alice A.",
            ["principalIds"] = new JsonArray("local://u-alice"),
            ["groupPrincipalIds"] = new JsonArray("openldap_group://team-uuid"),
            ["enabled"] = true,
        });
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<long> PutAsync(string key, JsonObject value)
    {
        GetResult existing = _store.Get(key);
        byte[] bytes = Encoding.UTF8.GetBytes(value.ToJsonString());
        WriteResult result = existing.Item is null ? await _store.CreateAsync(key, bytes) : await _store.UpdateAsync(key, bytes, existing.Item.ModRevision);
        Assert.True(result.IsOk);
        return result.Revision;
    }

    private async Task<string> IssueAsync()
    {
        ApiToken token = ApiToken.Generate();
        await PutAsync(TokenAuthenticator.TokenKeyPrefix + token.Name, new JsonObject
        {
            ["userId"] = "u-alice",
            ["hash"] = Convert.ToBase64String(_hasher.Hash(token.Secret)),
        });
        return token.ToString();
    }

    private ValueTask<ProxyAuthResult> AuthenticateAsync(string credential, string cluster = "c1")
        => _authenticator.AuthenticateAsync(ProxyCredentialScheme.Bearer, Encoding.ASCII.GetBytes(credential), Encoding.ASCII.GetBytes(cluster), CancellationToken.None);

    [Fact]
    public async Task ValidToken_OnAnAllowedCluster_IsTheCallerWithImpersonationValues()
    {
        ProxyAuthResult result = await AuthenticateAsync(await IssueAsync());
        Assert.Equal(ProxyAuthOutcome.Allowed, result.Outcome);
        Assert.Equal("u-alice", result.Caller!.UserId);
        Assert.Equal("Alice A.", result.Caller.DisplayName);
        Assert.Equal(["openldap_group://team-uuid", "system:authenticated"], result.Caller.Groups);
    }

    [Fact]
    public async Task ClusterWithoutARole_IsForbidden_AndUnknownOrWrongTokensAreUnauthenticated()
    {
        string token = await IssueAsync();
        Assert.Equal(ProxyAuthOutcome.Forbidden, (await AuthenticateAsync(token, "c2")).Outcome);
        Assert.Equal(ProxyAuthOutcome.Unauthenticated, (await AuthenticateAsync("token-zzzzz:" + new string('a', ApiToken.SecretLength))).Outcome);
        Assert.Equal(ProxyAuthOutcome.Unauthenticated, (await AuthenticateAsync("garbage")).Outcome);

        // With the right token cached, the same name with another secret is still refused.
        Assert.Equal(ProxyAuthOutcome.Allowed, (await AuthenticateAsync(token)).Outcome);
        string wrong = token[..(token.IndexOf(':', StringComparison.Ordinal) + 1)] + new string('b', ApiToken.SecretLength);
        Assert.Equal(ProxyAuthOutcome.Unauthenticated, (await AuthenticateAsync(wrong)).Outcome);
        Assert.Equal(ProxyAuthOutcome.Allowed, (await AuthenticateAsync(token)).Outcome);
    }

    [Fact]
    public async Task Answers_AreCachedForASecond_SoRevocationIsSeenWithinOne()
    {
        string token = await IssueAsync();
        Assert.Equal(ProxyAuthOutcome.Allowed, (await AuthenticateAsync(token)).Outcome);
        int checks = _accessChecks;

        GetResult stored = _store.Get(TokenAuthenticator.TokenKeyPrefix + token[..token.IndexOf(':', StringComparison.Ordinal)]);
        Assert.True((await _store.DeleteAsync(stored.Item!.Key, stored.Item.ModRevision)).IsOk);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(ProxyAuthOutcome.Allowed, (await AuthenticateAsync(token)).Outcome);
        Assert.Equal(checks, _accessChecks);

        _time.Advance(TimeSpan.FromMilliseconds(501));
        Assert.Equal(ProxyAuthOutcome.Unauthenticated, (await AuthenticateAsync(token)).Outcome);
    }

    [Fact]
    public async Task DisabledUser_IsRefusedOnceTheEntryExpires()
    {
        string token = await IssueAsync();
        Assert.Equal(ProxyAuthOutcome.Allowed, (await AuthenticateAsync(token)).Outcome);
        await PutAsync(TokenAuthenticator.UserKeyPrefix + "u-alice", new JsonObject { ["username"] = "alice", ["enabled"] = false });
        _time.Advance(TokenProxyAuthenticator.CacheLifetime);
        Assert.Equal(ProxyAuthOutcome.Unauthenticated, (await AuthenticateAsync(token)).Outcome);
    }

    [Fact]
    public async Task TokenOfADisabledProvider_IsRefusedOnceTheEntryExpires()
    {
        await PutAsync(TokenAuthenticator.AuthConfigKeyPrefix + "openldap", new JsonObject { ["enabled"] = true });
        ApiToken token = ApiToken.Generate();
        await PutAsync(TokenAuthenticator.TokenKeyPrefix + token.Name, new JsonObject
        {
            ["userId"] = "u-alice",
            ["authProvider"] = "openldap",
            ["hash"] = Convert.ToBase64String(_hasher.Hash(token.Secret)),
        });
        Assert.Equal(ProxyAuthOutcome.Allowed, (await AuthenticateAsync(token.ToString())).Outcome);

        await PutAsync(TokenAuthenticator.AuthConfigKeyPrefix + "openldap", new JsonObject { ["enabled"] = false });
        _time.Advance(TokenProxyAuthenticator.CacheLifetime);

        Assert.Equal(ProxyAuthOutcome.Unauthenticated, (await AuthenticateAsync(token.ToString())).Outcome);
    }

    [Fact]
    public async Task CacheHit_AllocatesNothing()
    {
        byte[] credential = Encoding.ASCII.GetBytes(await IssueAsync());
        byte[] cluster = Encoding.ASCII.GetBytes("c1");
        Assert.Equal(ProxyAuthOutcome.Allowed, (await _authenticator.AuthenticateAsync(ProxyCredentialScheme.Bearer, credential, cluster, CancellationToken.None)).Outcome);

        long allocated = CountHits(_authenticator, credential, cluster, out int allowed);
        Assert.Equal(100, allowed);
        Assert.Equal(0, allocated);
    }

    /// <summary>Bytes allocated by 100 cache hits, which complete synchronously; how many were allowed.</summary>
    private static long CountHits(TokenProxyAuthenticator authenticator, byte[] credential, byte[] cluster, out int allowed)
    {
        allowed = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            ValueTask<ProxyAuthResult> hit = authenticator.AuthenticateAsync(ProxyCredentialScheme.Bearer, credential, cluster, CancellationToken.None);
            if (hit.IsCompletedSuccessfully && hit.Result.Outcome == ProxyAuthOutcome.Allowed)
            {
                allowed++;
            }
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
