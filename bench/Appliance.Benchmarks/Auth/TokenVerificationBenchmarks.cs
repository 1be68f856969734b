using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Proxy;
using Appliance.Store;
using BenchmarkDotNet.Attributes;

namespace Appliance.Benchmarks.Auth;

/// <summary>
/// Verifying <c>token-xxxxx:SECRET</c> on each path a request takes, against a real store: the proxy's cache hit
/// (budget 0 B), the proxy's miss (store reads of Token and User, JSON, HMAC-SHA256, the access check, a new cache
/// entry), the API's uncached authentication (the same without the proxy's caller and entry), and, as the baseline,
/// the HMAC-SHA256 alone.
/// </summary>
[MemoryDiagnoser]
public class TokenVerificationBenchmarks
{
    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-bench-tokens-").FullName;
    private KeyValueStore _store = null!;
    private TokenHasher _hasher = null!;
    private TokenAuthenticator _tokens = null!;
    private TokenProxyAuthenticator _cached = null!;
    private TokenProxyAuthenticator _uncached = null!;
    private string _credential = "";
    private byte[] _credentialBytes = [];
    private byte[] _storedHash = [];
    private ApiToken _token;
    private readonly byte[] _cluster = "c-m-abc12"u8.ToArray();

    [GlobalSetup]
    public void Setup()
    {
        _store = KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = Path.Combine(_directory, "state.db") }).GetAwaiter().GetResult();
        _hasher = new TokenHasher(ServerKeyFile.LoadOrCreate(_directory));
        Put(TokenAuthenticator.UserKeyPrefix + "u-abc12", new JsonObject
        {
            ["apiVersion"] = "management.appliance.io/v1",
            ["kind"] = "User",
            ["metadata"] = new JsonObject { ["name"] = "u-abc12", ["uid"] = Guid.NewGuid().ToString() },
            ["username"] = "alice",
            ["displayName"] = "Alice Example",
            ["principalIds"] = new JsonArray("local://u-abc12"),
            ["groupPrincipalIds"] = new JsonArray("openldap_group://5f8e2c1a-0b7d-4c3e-9a61-2d4f8b7c6e10", "openldap_group://0c1d2e3f-4a5b-6978-8a9b-6f1c2d3e4b5a"),
            ["enabled"] = true,
        });
        _token = ApiToken.Generate();
        _storedHash = _hasher.Hash(_token.Secret);
        Put(TokenAuthenticator.TokenKeyPrefix + _token.Name, new JsonObject
        {
            ["apiVersion"] = "management.appliance.io/v1",
            ["kind"] = "Token",
            ["metadata"] = new JsonObject { ["name"] = _token.Name, ["uid"] = Guid.NewGuid().ToString() },
            ["userId"] = "u-abc12",
            ["hash"] = Convert.ToBase64String(_storedHash),
            ["type"] = "session",
            ["description"] = "local login",
            ["expiresAt"] = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        });
        _credential = _token.ToString();
        _credentialBytes = Encoding.ASCII.GetBytes(_credential);
        _tokens = new TokenAuthenticator(_store, _hasher, TimeProvider.System);
        // A clock that stands still keeps the entry fresh; one that jumps a second per reading makes every lookup a miss.
        _cached = new TokenProxyAuthenticator(() => _tokens, static (_, _) => true, new FrozenClock());
        _uncached = new TokenProxyAuthenticator(() => _tokens, static (_, _) => true, new JumpingClock());
        if (ProxyCacheHit() != ProxyAuthOutcome.Allowed || ProxyCacheMiss() != ProxyAuthOutcome.Allowed || ApiAuthenticate() != TokenAuthenticationStatus.Authenticated || !HmacSha256())
        {
            throw new InvalidOperationException("the benchmark token does not verify");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "HMAC-SHA256 of the secret, constant-time compare")]
    public bool HmacSha256() => _hasher.Verify(_token.Secret, _storedHash);

    [Benchmark(Description = "proxy, cache hit")]
    public ProxyAuthOutcome ProxyCacheHit()
        => _cached.AuthenticateAsync(ProxyCredentialScheme.Bearer, _credentialBytes, _cluster, CancellationToken.None).Result.Outcome;

    [Benchmark(Description = "proxy, cache miss (store + HMAC + access check)")]
    public ProxyAuthOutcome ProxyCacheMiss()
        => _uncached.AuthenticateAsync(ProxyCredentialScheme.Bearer, _credentialBytes, _cluster, CancellationToken.None).Result.Outcome;

    [Benchmark(Description = "API, uncached (store + HMAC)")]
    public TokenAuthenticationStatus ApiAuthenticate() => _tokens.Authenticate(_credential, out _);

    private void Put(string key, JsonObject value)
    {
        if (!_store.CreateAsync(key, Encoding.UTF8.GetBytes(value.ToJsonString())).AsTask().GetAwaiter().GetResult().IsOk)
        {
            throw new InvalidOperationException("could not write " + key);
        }
    }

    private sealed class FrozenClock : TimeProvider
    {
        public override long GetTimestamp() => 1;
    }

    private sealed class JumpingClock : TimeProvider
    {
        private long _now;

        public override long GetTimestamp() => _now += TimestampFrequency;
    }
}
