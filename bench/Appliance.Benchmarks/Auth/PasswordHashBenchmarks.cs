using Appliance.Auth;
using BenchmarkDotNet.Attributes;

namespace Appliance.Benchmarks.Auth;

/// <summary>
/// What a local login costs this machine: one PBKDF2-HMAC-SHA512 verification at the production iteration count
/// (<see cref="PasswordHasher.DefaultIterations"/>, OWASP's 210,000), against one HMAC-SHA256 (what verifying a token
/// costs) as the baseline; the ratio is what the KDF makes an offline guess cost. Few iterations: one operation is
/// about a tenth of a second.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 10)]
public class PasswordHashBenchmarks
{
    private const string Password = "correct-horse-battery-staple";
    private readonly PasswordHasher _hasher = new();
    private readonly TokenHasher _tokens = new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(ServerKeyFile.KeyBytes));
    private readonly ApiToken _token = ApiToken.Generate();
    private string _encoded = "";
    private byte[] _tokenHash = [];

    [GlobalSetup]
    public void Setup()
    {
        _encoded = _hasher.Hash(Password);
        _tokenHash = _tokens.Hash(_token.Secret);
        if (PasswordVerify() != PasswordVerification.Success || !TokenHmac())
        {
            throw new InvalidOperationException("the benchmark password does not verify");
        }
    }

    [Benchmark(Baseline = true, Description = "token: one HMAC-SHA256")]
    public bool TokenHmac() => _tokens.Verify(_token.Secret, _tokenHash);

    [Benchmark(Description = "password: PBKDF2-HMAC-SHA512, 210,000 iterations")]
    public PasswordVerification PasswordVerify() => _hasher.Verify(_encoded, Password);
}
