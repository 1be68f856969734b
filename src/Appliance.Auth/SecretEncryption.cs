using System.Security.Cryptography;
using System.Text;

namespace Appliance.Auth;

/// <summary>
/// Encryption at rest of stored values (Secrets), as kube-apiserver's <c>aesgcm</c> provider does it:
/// AES-256-GCM under a key file in the data dir, a fresh random nonce per write, and the store key as
/// associated data, so a ciphertext copied onto another key does not decrypt. Values carry a prefix
/// naming the scheme; a value without it is plain JSON (written before encryption was on) and is read as is.
/// Safe for concurrent use: one <see cref="AesGcm"/> is not (on Linux it is one OpenSSL context, and two threads
/// in it at once fail with a tag mismatch), so calls take turns on it; each is a microsecond or so.
/// </summary>
public sealed class SecretEncryption : IDisposable
{
    public const string FileName = "secrets-encryption.key";

    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes("k8s:enc:aesgcm:v1:appliance:");

    private readonly AesGcm _aes;
    private readonly Lock _aesLock = new();

    public SecretEncryption(byte[] key) => _aes = new AesGcm(key, TagBytes);

    public static bool IsEncrypted(ReadOnlySpan<byte> value) => value.StartsWith(Prefix);

    public byte[] Encrypt(string storeKey, ReadOnlySpan<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(storeKey);
        byte[] sealedValue = new byte[Prefix.Length + NonceBytes + plaintext.Length + TagBytes];
        Prefix.CopyTo(sealedValue, 0);
        Span<byte> nonce = sealedValue.AsSpan(Prefix.Length, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> ciphertext = sealedValue.AsSpan(Prefix.Length + NonceBytes, plaintext.Length);
        Span<byte> tag = sealedValue.AsSpan(Prefix.Length + NonceBytes + plaintext.Length, TagBytes);
        byte[] associatedData = Encoding.UTF8.GetBytes(storeKey);
        lock (_aesLock)
        {
            _aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        }

        return sealedValue;
    }

    /// <summary>The plaintext of a value <see cref="Encrypt"/> wrote under <paramref name="storeKey"/>; throws if it was tampered with or moved.</summary>
    public byte[] Decrypt(string storeKey, ReadOnlySpan<byte> sealedValue)
    {
        ArgumentNullException.ThrowIfNull(storeKey);
        if (!IsEncrypted(sealedValue) || sealedValue.Length < Prefix.Length + NonceBytes + TagBytes)
        {
            throw new CryptographicException("The value is not an encrypted value of this server.");
        }

        ReadOnlySpan<byte> body = sealedValue[Prefix.Length..];
        byte[] plaintext = new byte[body.Length - NonceBytes - TagBytes];
        byte[] associatedData = Encoding.UTF8.GetBytes(storeKey);
        lock (_aesLock)
        {
            _aes.Decrypt(body[..NonceBytes], body[NonceBytes..^TagBytes], body[^TagBytes..], plaintext, associatedData);
        }

        return plaintext;
    }

    public void Dispose() => _aes.Dispose();
}
