using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Appliance.Auth;

/// <summary>
/// A bearer token as the client holds it: <c>token-xxxxx:SECRET</c>, shaped like Rancher's so
/// kubeconfigs and scripts carry over. The name is the Token object's name (not secret); only an
/// HMAC of SECRET is ever stored (<see cref="TokenHasher"/>).
/// </summary>
public readonly struct ApiToken : IEquatable<ApiToken>
{
    public const string NamePrefix = "token-";
    public const int NameRandomLength = 5;

    /// <summary>54 base62 characters carry 54 x log2(62) = 321 bits, above the 256 the design asks.</summary>
    public const int SecretLength = 54;

    private const string NameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private ApiToken(string name, string secret)
    {
        Name = name;
        Secret = secret;
    }

    public string Name { get; }

    public string Secret { get; }

    /// <summary>A fresh token from the operating system's CSPRNG (uniform choice, no modulo bias).</summary>
    public static ApiToken Generate()
    {
        var name = NamePrefix + RandomNumberGenerator.GetString(NameAlphabet, NameRandomLength);
        return new ApiToken(name, RandomNumberGenerator.GetString(SecretAlphabet, SecretLength));
    }

    public static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.Length != NamePrefix.Length + NameRandomLength || !name.StartsWith(NamePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name[NamePrefix.Length..])
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Strict: anything but exactly <c>token-[a-z0-9]{5}:[A-Za-z0-9]{54}</c> is not a token of ours.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out ApiToken token)
    {
        token = default;
        if (value is null)
        {
            return false;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !IsValidName(value.AsSpan(0, colon)))
        {
            return false;
        }

        var secret = value.AsSpan(colon + 1);
        if (secret.Length != SecretLength || secret.ContainsAnyExcept(SecretAlphabet))
        {
            return false;
        }

        token = new ApiToken(value[..colon], secret.ToString());
        return true;
    }

    public static ApiToken Parse(string value)
        => TryParse(value, out var token)
            ? token
            // Never echo the value: it may be someone's real token with one character wrong.
            : throw new FormatException("The value is not a token of the form token-xxxxx:SECRET.");

    public override string ToString() => Name is null ? string.Empty : Name + ":" + Secret;

    public bool Equals(ApiToken other)
        => string.Equals(Name, other.Name, StringComparison.Ordinal)
           && CryptographicOperations.FixedTimeEquals(
               System.Text.Encoding.ASCII.GetBytes(Secret ?? string.Empty),
               System.Text.Encoding.ASCII.GetBytes(other.Secret ?? string.Empty));

    public override bool Equals(object? obj) => obj is ApiToken other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Name);

    public static bool operator ==(ApiToken left, ApiToken right) => left.Equals(right);

    public static bool operator !=(ApiToken left, ApiToken right) => !left.Equals(right);
}
