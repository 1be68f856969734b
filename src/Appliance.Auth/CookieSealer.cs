using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Auth;

/// <summary>
/// Seals short values a browser carries for the server (a cookie), so the browser can neither read nor change
/// them: AES-256-GCM under a key derived with HKDF-SHA256 from the server's Secret encryption key for one named
/// purpose. The derived key is never the at-rest key (a sealed cookie cannot be replayed as a stored Secret or
/// the other way round), and a value sealed for one purpose does not open for another (the purpose is also the
/// associated data). Each value carries its expiry inside the ciphertext, so a browser cannot extend it.
/// </summary>
/// <remarks>
/// Output: base64url of version (1 byte) | nonce (12) | ciphertext | tag (16); the plaintext is the expiry
/// (Unix seconds, 8 bytes big-endian) then the payload. A fresh <see cref="AesGcm"/> per call: one instance is
/// not safe to share between threads, and sealing happens at sign-in rates, not per request.
/// </remarks>
public sealed class CookieSealer
{
    private const byte Version = 1;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int ExpiryBytes = 8;
    private const int KeyBytes = 32;

    /// <summary>Browsers keep about 4 KiB per cookie; anything longer was not sealed here.</summary>
    public const int MaxSealedChars = 4096;

    private static readonly byte[] Salt = Encoding.ASCII.GetBytes("appliance cookie sealing v1");

    private readonly byte[] _serverKey;
    private readonly ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    /// <param name="serverKey">The Secret encryption key (<see cref="SecretEncryption.FileName"/>); only keys derived from it are used.</param>
    public CookieSealer(byte[] serverKey)
    {
        ArgumentNullException.ThrowIfNull(serverKey);
        if (serverKey.Length < KeyBytes)
        {
            throw new ArgumentException("The server key must hold at least 32 bytes.", nameof(serverKey));
        }

        _serverKey = (byte[])serverKey.Clone();
    }

    /// <summary>Seals <paramref name="payload"/> for <paramref name="purpose"/> until <paramref name="expires"/>.</summary>
    public string Seal(string purpose, ReadOnlySpan<byte> payload, DateTimeOffset expires)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        byte[] plaintext = new byte[ExpiryBytes + payload.Length];
        BinaryPrimitives.WriteInt64BigEndian(plaintext, expires.ToUnixTimeSeconds());
        payload.CopyTo(plaintext.AsSpan(ExpiryBytes));

        byte[] sealedValue = new byte[1 + NonceBytes + plaintext.Length + TagBytes];
        sealedValue[0] = Version;
        Span<byte> nonce = sealedValue.AsSpan(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(KeyFor(purpose), TagBytes))
        {
            aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(1 + NonceBytes, plaintext.Length), sealedValue.AsSpan(1 + NonceBytes + plaintext.Length), Encoding.UTF8.GetBytes(purpose));
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return Base64Url.EncodeToString(sealedValue);
    }

    /// <summary>
    /// The payload <see cref="Seal"/> sealed for <paramref name="purpose"/>; null when the value is missing,
    /// malformed, altered, sealed for another purpose or under another key, or expired at <paramref name="now"/>.
    /// </summary>
    public byte[]? Open(string purpose, string? sealedText, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        if (string.IsNullOrEmpty(sealedText) || sealedText.Length > MaxSealedChars || !Base64Url.IsValid(sealedText))
        {
            return null;
        }

        byte[] sealedValue = Base64Url.DecodeFromChars(sealedText);
        if (sealedValue.Length < 1 + NonceBytes + ExpiryBytes + TagBytes || sealedValue[0] != Version)
        {
            return null;
        }

        ReadOnlySpan<byte> body = sealedValue.AsSpan(1);
        byte[] plaintext = new byte[body.Length - NonceBytes - TagBytes];
        try
        {
            using var aes = new AesGcm(KeyFor(purpose), TagBytes);
            aes.Decrypt(body[..NonceBytes], body[NonceBytes..^TagBytes], body[^TagBytes..], plaintext, Encoding.UTF8.GetBytes(purpose));
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }

        if (BinaryPrimitives.ReadInt64BigEndian(plaintext) <= now.ToUnixTimeSeconds())
        {
            return null;
        }

        return plaintext[ExpiryBytes..];
    }

    private byte[] KeyFor(string purpose)
        => _keys.GetOrAdd(purpose, static (name, serverKey) => HKDF.DeriveKey(HashAlgorithmName.SHA256, serverKey, KeyBytes, Salt, Encoding.UTF8.GetBytes(name)), _serverKey);
}
