using Appliance.Auth;
using Appliance.Auth.Testing;
using BenchmarkDotNet.Attributes;

namespace Appliance.Benchmarks.Auth;

/// <summary>
/// An OpenLDAP login against a real slapd on loopback (the tests' fixture: Debian's slapd must be installed, as
/// tests/run.sh does): connect, bind as the service account, search the user (filter escaped), bind as the user,
/// resolve its groups with nested ones. The median column is the p50; a local login's KDF
/// (<see cref="PasswordHashBenchmarks"/>) is the comparison. Plain LDAP and StartTLS with the fixture's CA.
/// </summary>
[MemoryDiagnoser]
[MedianColumn, Q3Column, MaxColumn]
[SimpleJob(warmupCount: 3, iterationCount: 20)]
public class LdapLoginBenchmarks
{
    private readonly SlapdFixture _slapd = new();
    private LdapAuthenticator _plain = null!;
    private LdapAuthenticator _startTls = null!;

    [GlobalSetup]
    public void Setup()
    {
        _slapd.InitializeAsync().GetAwaiter().GetResult();
        _plain = new LdapAuthenticator(_slapd.Settings());
        _startTls = new LdapAuthenticator(_slapd.Settings(LdapTlsMode.StartTls, _slapd.CaPem));
        if (Login() != LdapLoginStatus.Success || LoginStartTls() != LdapLoginStatus.Success)
        {
            throw new InvalidOperationException("the benchmark user cannot sign in to the fixture's slapd");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _startTls.Dispose();
        _slapd.DisposeAsync().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "LDAP login (alice, 3 groups, nested)")]
    public LdapLoginStatus Login() => _plain.LoginAsync("alice", SlapdFixture.Passwords["alice"]).GetAwaiter().GetResult().Status;

    [Benchmark(Description = "LDAP login over StartTLS")]
    public LdapLoginStatus LoginStartTls() => _startTls.LoginAsync("alice", SlapdFixture.Passwords["alice"]).GetAwaiter().GetResult().Status;
}
