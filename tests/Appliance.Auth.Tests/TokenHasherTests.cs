using System.Security.Cryptography;
using System.Text;

namespace Appliance.Auth.Tests;

public sealed class TokenHasherTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-auth-key-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Hash_IsHmacSha256OfTheSecretUnderTheKey()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var token = ApiToken.Generate();

        var hash = new TokenHasher(key).Hash(token.Secret);

        Assert.Equal(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(token.Secret)), hash);
    }

    [Fact]
    public void Verify_RightSecret_True_OtherSecretOrKey_False()
    {
        var hasher = new TokenHasher(RandomNumberGenerator.GetBytes(32));
        var token = ApiToken.Generate();
        var stored = hasher.Hash(token.Secret);

        Assert.True(hasher.Verify(token.Secret, stored));
        Assert.False(hasher.Verify(ApiToken.Generate().Secret, stored));
        Assert.False(hasher.Verify(token.Secret.AsSpan(0, token.Secret.Length - 1), stored));
        Assert.False(new TokenHasher(RandomNumberGenerator.GetBytes(32)).Verify(token.Secret, stored));
        Assert.False(hasher.Verify(token.Secret, stored.AsSpan(0, 16)));
    }

    [Fact]
    public void Constructor_KeyOfWrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => new TokenHasher(new byte[16]));
    }

    [Fact]
    public void LoadOrCreate_FirstCall_CreatesOwnerOnly32ByteKey_LaterCallsReuseIt()
    {
        var first = ServerKeyFile.LoadOrCreate(_directory);
        var path = Path.Combine(_directory, ServerKeyFile.FileName);

        Assert.Equal(32, first.Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(first, ServerKeyFile.LoadOrCreate(_directory));
        Assert.Equal(first, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void LoadOrCreate_CreatesTheDirectoryWhenMissing()
    {
        var nested = Path.Combine(_directory, "data", "dir");

        var key = ServerKeyFile.LoadOrCreate(nested);

        Assert.Equal(key, File.ReadAllBytes(Path.Combine(nested, ServerKeyFile.FileName)));
    }

    [Fact]
    public void LoadOrCreate_TruncatedKeyFile_FailsLoudlyInsteadOfReplacingIt()
    {
        var path = Path.Combine(_directory, ServerKeyFile.FileName);
        File.WriteAllBytes(path, new byte[7]);

        var exception = Assert.Throws<InvalidDataException>(() => ServerKeyFile.LoadOrCreate(_directory));

        Assert.Contains("7 bytes", exception.Message, StringComparison.Ordinal);
        Assert.Equal(7, new FileInfo(path).Length);
    }

    [Fact]
    public void LoadOrCreate_ConcurrentFirstStarts_AllGetTheSameKey()
    {
        var keys = new byte[8][];
        Parallel.For(0, keys.Length, i => keys[i] = ServerKeyFile.LoadOrCreate(_directory));

        foreach (var key in keys)
        {
            Assert.Equal(keys[0], key);
        }

        Assert.Single(Directory.GetFiles(_directory));
    }
}
