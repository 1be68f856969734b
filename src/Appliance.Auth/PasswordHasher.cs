using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Auth;

/// <summary>
/// Local-user password hashing: PBKDF2-HMAC-SHA512 from the base library. The stored form says its
/// own algorithm, iteration count and salt (<c>$pbkdf2-sha512$i=210000$&lt;salt&gt;$&lt;hash&gt;</c>,
/// base64), so the iteration count can rise later and old hashes still verify and get upgraded.
/// </summary>
public sealed class PasswordHasher
{
    /// <summary>OWASP Password Storage Cheat Sheet, PBKDF2-HMAC-SHA512: 210,000 iterations.</summary>
    public const int DefaultIterations = 210_000;

    /// <summary>Rancher's default minimum password length; the real value comes from a Setting.</summary>
    public const int DefaultMinimumLength = 12;

    private const string Prefix = "$pbkdf2-sha512$i=";
    private const int SaltBytes = 16;

    // SHA-512's own output size: asking PBKDF2 for more would cost the defender whole extra
    // iteration runs and the attacker nothing.
    private const int HashBytes = 64;

    // A stored hash is data: a tampered or corrupt one must not make one login cost minutes.
    private const int MaximumIterations = 10_000_000;

    private readonly int _iterations;

    public PasswordHasher()
        : this(DefaultIterations)
    {
    }

    /// <summary>Tests and benchmarks use a lower count; production uses <see cref="DefaultIterations"/>.</summary>
    internal PasswordHasher(int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaximumIterations);
        _iterations = iterations;
    }

    public int Iterations => _iterations;

    /// <summary>
    /// The password-policy check, kept apart from hashing so the API and the CLI can say what is
    /// wrong before anything is stored. Returns null when the password is acceptable.
    /// </summary>
    public static string? ValidateLength(string password, int minimumLength = DefaultMinimumLength)
    {
        ArgumentNullException.ThrowIfNull(password);
        // Count Unicode scalar values, not UTF-16 units, so a password of emoji is not counted double.
        var length = password.EnumerateRunes().Count();
        return length >= minimumLength
            ? null
            : $"The password must be at least {minimumLength} characters long (it has {length}).";
    }

    public string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        Span<byte> salt = stackalloc byte[SaltBytes];
        RandomNumberGenerator.Fill(salt);
        Span<byte> hash = stackalloc byte[HashBytes];
        Derive(password, salt, _iterations, hash);
        return string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{_iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    public PasswordVerification Verify(string encoded, string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!TryDecode(encoded, out var iterations, out var salt, out var expected))
        {
            return PasswordVerification.Failed;
        }

        var actual = new byte[expected.Length];
        Derive(password, salt, iterations, actual);
        // Constant time, so the comparison leaks nothing about how much of the hash matched.
        if (!CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            return PasswordVerification.Failed;
        }

        return iterations < _iterations ? PasswordVerification.SuccessRehashNeeded : PasswordVerification.Success;
    }

    private static void Derive(string password, ReadOnlySpan<byte> salt, int iterations, Span<byte> destination)
    {
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, destination, iterations, HashAlgorithmName.SHA512);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    private static bool TryDecode(string? encoded, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = [];
        hash = [];
        if (encoded is null || !encoded.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = encoded[Prefix.Length..].Split('$');
        if (parts.Length != 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations is < 1 or > MaximumIterations)
        {
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(parts[1]);
            hash = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length >= SaltBytes && hash.Length == HashBytes;
    }
}
