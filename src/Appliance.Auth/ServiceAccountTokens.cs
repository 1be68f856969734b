using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Appliance.Auth;

/// <summary>
/// Service-account tokens as Kubernetes issues them through TokenRequest: ES256 JWTs with issuer, subject
/// <c>system:serviceaccount:NS:NAME</c>, audiences, expiry and the <c>kubernetes.io</c> claim naming the
/// account and its uid. The signing key is a P-256 key in the data dir (0600), created on first start.
/// </summary>
public sealed class ServiceAccountTokens
{
    public const string FileName = "sa-signing.key";

    /// <summary>The issuer and the API's own audience, as kube-apiserver's defaults name them.</summary>
    public const string Issuer = "https://kubernetes.default.svc.cluster.local";

    // Clock skew tolerated on exp and nbf, as kube-apiserver's validator allows.
    private static readonly TimeSpan Leeway = TimeSpan.FromSeconds(60);

    private readonly ECDsa _key;
    private readonly TimeProvider _timeProvider;
    private readonly string _keyId;

    public ServiceAccountTokens(ECDsa key, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        _timeProvider = timeProvider;
        // kid: the SHA-256 of the public key, as kube-apiserver derives it, so a rotated key is told apart.
        _keyId = Base64Url.EncodeToString(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    public static ServiceAccountTokens LoadOrCreate(string directory, TimeProvider timeProvider)
    {
        string path = Path.Combine(directory, FileName);
        var key = ECDsa.Create();
        if (!File.Exists(path))
        {
            using ECDsa created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            string temporary = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(temporary, created.ExportPkcs8PrivateKeyPem());
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
        }

        key.ImportFromPem(File.ReadAllText(path));
        return new ServiceAccountTokens(key, timeProvider);
    }

    /// <summary>A quick shape test (three dot-separated parts) before the cost of verifying.</summary>
    public static bool LooksLikeJwt(string token) => token.AsSpan().Count('.') == 2;

    public string Issue(string namespaceName, string name, string uid, IReadOnlyList<string> audiences, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(audiences);
        long now = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        string header = Encode(writer =>
        {
            writer.WriteString("alg", "ES256");
            writer.WriteString("kid", _keyId);
            writer.WriteString("typ", "JWT");
        });
        string payload = Encode(writer =>
        {
            writer.WriteStartArray("aud");
            foreach (string audience in audiences)
            {
                writer.WriteStringValue(audience);
            }

            writer.WriteEndArray();
            writer.WriteNumber("exp", expires.ToUnixTimeSeconds());
            writer.WriteNumber("iat", now);
            writer.WriteString("iss", Issuer);
            writer.WriteString("jti", Guid.NewGuid().ToString());
            writer.WriteStartObject("kubernetes.io");
            writer.WriteString("namespace", namespaceName);
            writer.WriteStartObject("serviceaccount");
            writer.WriteString("name", name);
            writer.WriteString("uid", uid);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteNumber("nbf", now);
            writer.WriteString("sub", "system:serviceaccount:" + namespaceName + ":" + name);
        });
        string signed = header + "." + payload;
        byte[] signature = _key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signed + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>True for a token this server signed, unexpired, whose audiences include <paramref name="audience"/>.</summary>
    public bool TryValidate(string token, string audience, out ServiceAccountClaims claims)
    {
        claims = default;
        ArgumentNullException.ThrowIfNull(token);
        string[] parts = token.Split('.');
        if (parts.Length != 3 || !TryDecode(parts[2], out byte[]? signature)
            || !_key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            || !TryDecode(parts[0], out byte[]? header) || !TryDecode(parts[1], out byte[]? payload))
        {
            return false;
        }

        try
        {
            using JsonDocument headerDocument = JsonDocument.Parse(header);
            if (!headerDocument.RootElement.TryGetProperty("alg", out JsonElement alg) || alg.GetString() != "ES256")
            {
                return false;
            }

            using JsonDocument document = JsonDocument.Parse(payload);
            JsonElement root = document.RootElement;
            DateTimeOffset now = _timeProvider.GetUtcNow();
            DateTimeOffset expires = DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("exp").GetInt64());
            if (root.GetProperty("iss").GetString() != Issuer
                || expires + Leeway <= now
                || (root.TryGetProperty("nbf", out JsonElement nbf) && DateTimeOffset.FromUnixTimeSeconds(nbf.GetInt64()) - Leeway > now)
                || !HasAudience(root.GetProperty("aud"), audience))
            {
                return false;
            }

            JsonElement kubernetes = root.GetProperty("kubernetes.io");
            JsonElement account = kubernetes.GetProperty("serviceaccount");
            claims = new ServiceAccountClaims(kubernetes.GetProperty("namespace").GetString()!, account.GetProperty("name").GetString()!, account.GetProperty("uid").GetString()!, expires);
            return claims.Namespace.Length > 0 && claims.Name.Length > 0;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    private static bool HasAudience(JsonElement audiences, string audience)
    {
        if (audiences.ValueKind == JsonValueKind.String)
        {
            return audiences.GetString() == audience;
        }

        foreach (JsonElement candidate in audiences.EnumerateArray())
        {
            if (candidate.GetString() == audience)
            {
                return true;
            }
        }

        return false;
    }

    private static string Encode(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Base64Url.EncodeToString(buffer.ToArray());
    }

    private static bool TryDecode(string part, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (!Base64Url.IsValid(part))
        {
            return false;
        }

        bytes = Base64Url.DecodeFromChars(part);
        return true;
    }

    /// <summary>RFC 3339 in UTC, as kube writes <c>expirationTimestamp</c>.</summary>
    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
