using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// Decodes the Kubernetes protobuf wire format (<c>application/vnd.kubernetes.protobuf</c>) into JSON:
/// the 4-byte magic <c>k8s\0</c>, then a <c>runtime.Unknown</c> (typeMeta = 1 {apiVersion = 1, kind = 2},
/// raw = 2), whose raw bytes are the object's message (apimachinery <c>runtime/serializer/protobuf</c>).
/// Only decoding: responses are always JSON, which clients accept as their second Accept choice.
/// </summary>
public static class KubernetesProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    /// <summary>Decodes an object; false (with the reason) on malformed input.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> body, ProtobufSchema schema, out JsonObject obj, out string? error)
    {
        obj = new JsonObject();
        error = null;
        if (!body.StartsWith(Magic))
        {
            error = "missing the k8s protobuf prefix";
            return false;
        }

        try
        {
            var reader = new ProtobufReader(body[Magic.Length..]);
            string? apiVersion = null;
            string? kind = null;
            ReadOnlySpan<byte> raw = default;
            while (reader.TryReadTag(out int number, out int wireType))
            {
                if (number == 1 && wireType == 2)
                {
                    var typeMeta = new ProtobufReader(reader.ReadBytes());
                    while (typeMeta.TryReadTag(out int n, out int w))
                    {
                        if (n == 1 && w == 2)
                        {
                            apiVersion = Encoding.UTF8.GetString(typeMeta.ReadBytes());
                        }
                        else if (n == 2 && w == 2)
                        {
                            kind = Encoding.UTF8.GetString(typeMeta.ReadBytes());
                        }
                        else
                        {
                            typeMeta.Skip(w);
                        }
                    }
                }
                else if (number == 2 && wireType == 2)
                {
                    raw = reader.ReadBytes();
                }
                else
                {
                    reader.Skip(wireType);
                }
            }

            if (!string.IsNullOrEmpty(apiVersion))
            {
                obj["apiVersion"] = apiVersion;
            }

            if (!string.IsNullOrEmpty(kind))
            {
                obj["kind"] = kind;
            }

            DecodeMessage(raw, schema, obj);
            return true;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    private static void DecodeMessage(ReadOnlySpan<byte> message, ProtobufSchema schema, JsonObject into)
    {
        var reader = new ProtobufReader(message);
        while (reader.TryReadTag(out int number, out int wireType))
        {
            ProtobufField? field = schema.Find(number);
            if (field is null)
            {
                reader.Skip(wireType);
                continue;
            }

            switch (field.Kind)
            {
                // Go's protobuf marshalling writes zero values that its JSON (omitempty) leaves out:
                // empty strings, 0 and the zero Time are dropped so both encodings give the same object.
                case ProtobufFieldKind.String:
                    string text = Encoding.UTF8.GetString(reader.ReadBytes());
                    if (text.Length > 0)
                    {
                        into[field.JsonName] = text;
                    }

                    break;
                case ProtobufFieldKind.Bytes:
                    into[field.JsonName] = Convert.ToBase64String(reader.ReadBytes());
                    break;
                case ProtobufFieldKind.Bool:
                    into[field.JsonName] = reader.ReadVarint() != 0;
                    break;
                case ProtobufFieldKind.Int64:
                    long number64 = (long)reader.ReadVarint();
                    if (number64 != 0)
                    {
                        into[field.JsonName] = number64;
                    }

                    break;
                case ProtobufFieldKind.Time:
                    string? time = ReadTime(reader.ReadBytes());
                    if (time is not null)
                    {
                        into[field.JsonName] = time;
                    }

                    break;
                case ProtobufFieldKind.StringMap or ProtobufFieldKind.BytesMap:
                    JsonObject map = into[field.JsonName] as JsonObject ?? [];
                    string key = ReadMapEntry(reader.ReadBytes(), out ReadOnlySpan<byte> value);
                    map[key] = field.Kind == ProtobufFieldKind.StringMap ? Encoding.UTF8.GetString(value) : Convert.ToBase64String(value);
                    into[field.JsonName] = map;
                    break;
                case ProtobufFieldKind.RepeatedString:
                    JsonArray list = into[field.JsonName] as JsonArray ?? [];
                    list.Add((JsonNode?)JsonValue.Create(Encoding.UTF8.GetString(reader.ReadBytes())));
                    into[field.JsonName] = list;
                    break;
                case ProtobufFieldKind.Message:
                    JsonObject nested = into[field.JsonName] as JsonObject ?? [];
                    DecodeMessage(reader.ReadBytes(), field.Message!, nested);
                    into[field.JsonName] = nested;
                    break;
                case ProtobufFieldKind.RepeatedMessage:
                    JsonArray items = into[field.JsonName] as JsonArray ?? [];
                    JsonObject item = [];
                    DecodeMessage(reader.ReadBytes(), field.Message!, item);
                    items.Add((JsonNode)item);
                    into[field.JsonName] = items;
                    break;
            }
        }
    }

    private static string ReadMapEntry(ReadOnlySpan<byte> entry, out ReadOnlySpan<byte> value)
    {
        var reader = new ProtobufReader(entry);
        string key = "";
        value = default;
        while (reader.TryReadTag(out int number, out int wireType))
        {
            if (number == 1 && wireType == 2)
            {
                key = Encoding.UTF8.GetString(reader.ReadBytes());
            }
            else if (number == 2 && wireType == 2)
            {
                value = reader.ReadBytes();
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return key;
    }

    private static string? ReadTime(ReadOnlySpan<byte> message)
    {
        var reader = new ProtobufReader(message);
        long seconds = 0;
        while (reader.TryReadTag(out int number, out int wireType))
        {
            if (number == 1 && wireType == 0)
            {
                seconds = (long)reader.ReadVarint();
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return seconds == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }
}
