using System.Security.Cryptography;

namespace Appliance.Api.OpenApi;

/// <summary>A served document: its JSON and kube-apiserver's content hash (hex SHA-512), used as ETag and <c>?hash=</c>.</summary>
internal sealed class OpenApiDocument(byte[] json)
{
    public byte[] Json { get; } = json;

    public string Hash { get; } = Convert.ToHexString(SHA512.HashData(json));
}
