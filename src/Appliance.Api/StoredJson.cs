using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Appliance.Api;

/// <summary>
/// Writes a stored object to a response as it is stored, with <c>metadata.resourceVersion</c> spliced in,
/// instead of parsing it into a <see cref="System.Text.Json.Nodes.JsonObject"/> and serializing it again:
/// lists and watches without selectors are most of the API's reads, and this keeps them to one scan and
/// one pooled copy per object.
/// </summary>
internal static class StoredJson
{
    private static ReadOnlySpan<byte> ResourceVersionProperty => "\"resourceVersion\":\""u8;

    /// <summary>
    /// Writes <paramref name="json"/> (a stored object: compact, without a resourceVersion, as the engine
    /// stores them) as the next value of <paramref name="writer"/>, its metadata gaining the resourceVersion.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> json, long revision)
    {
        int insertAt = MetadataBodyStart(json, out bool metadataEmpty);
        if (insertAt < 0)
        {
            writer.WriteRawValue(json, skipInputValidation: true);
            return;
        }

        Span<byte> number = stackalloc byte[20];
        revision.TryFormat(number, out int digits, default, CultureInfo.InvariantCulture);
        int extra = ResourceVersionProperty.Length + digits + 1 + (metadataEmpty ? 0 : 1);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(json.Length + extra);
        try
        {
            json[..insertAt].CopyTo(buffer);
            Span<byte> at = buffer.AsSpan(insertAt);
            ResourceVersionProperty.CopyTo(at);
            at = at[ResourceVersionProperty.Length..];
            number[..digits].CopyTo(at);
            at[digits] = (byte)'"';
            at = at[(digits + 1)..];
            if (!metadataEmpty)
            {
                at[0] = (byte)',';
                at = at[1..];
            }

            json[insertAt..].CopyTo(at);
            writer.WriteRawValue(buffer.AsSpan(0, json.Length + extra), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The offset just after the <c>{</c> of the top-level <c>metadata</c> object, or -1.</summary>
    private static int MetadataBodyStart(ReadOnlySpan<byte> json, out bool empty)
    {
        empty = false;
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("metadata"u8))
                {
                    reader.Skip();
                    continue;
                }

                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return -1;
                }

                int start = (int)reader.TokenStartIndex + 1;
                empty = reader.Read() && reader.TokenType == JsonTokenType.EndObject;
                return start;
            }
        }

        return -1;
    }
}
