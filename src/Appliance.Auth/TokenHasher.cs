using System.Security.Cryptography;
using System.Text;

namespace Appliance.Auth;

/// <summary>
/// HMAC-SHA256 of a token's SECRET under the server key. A keyed hash, not a slow KDF: SECRET has
/// 321 bits of randomness, so nothing is left to stretch, and the proxy verifies tokens on every request.
/// </summary>
public sealed class TokenHasher
{
    public const int HashBytes = 32;

    private readonly byte[] _key;

    public TokenHasher(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != ServerKeyFile.KeyBytes)
        {
            throw new ArgumentException($"The token key must be {ServerKeyFile.KeyBytes} bytes.", nameof(key));
        }

        _key = (byte[])key.Clone();
    }

    public byte[] Hash(ReadOnlySpan<char> secret)
    {
        var hash = new byte[HashBytes];
        Hash(secret, hash);
        return hash;
    }

    public void Hash(ReadOnlySpan<char> secret, Span<byte> destination)
    {
        // SECRET is ASCII by construction (ApiToken.TryParse); UTF-8 keeps any other input well defined.
        Span<byte> buffer = stackalloc byte[128];
        var byteCount = Encoding.UTF8.GetMaxByteCount(secret.Length) <= buffer.Length
            ? Encoding.UTF8.GetBytes(secret, buffer)
            : -1;
        if (byteCount >= 0)
        {
            HMACSHA256.HashData(_key, buffer[..byteCount], destination);
            CryptographicOperations.ZeroMemory(buffer);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(secret.ToArray());
        HMACSHA256.HashData(_key, bytes, destination);
        CryptographicOperations.ZeroMemory(bytes);
    }

    /// <summary>Whether <paramref name="secret"/> hashes to <paramref name="storedHash"/>, compared in constant time.</summary>
    public bool Verify(ReadOnlySpan<char> secret, ReadOnlySpan<byte> storedHash)
    {
        Span<byte> actual = stackalloc byte[HashBytes];
        Hash(secret, actual);
        return CryptographicOperations.FixedTimeEquals(actual, storedHash);
    }
}
