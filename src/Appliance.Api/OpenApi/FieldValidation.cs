using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api.OpenApi;

/// <summary>kube-apiserver's <c>fieldValidation</c> query parameter: what happens to unknown and duplicate fields.</summary>
internal enum FieldValidationDirective
{
    /// <summary>Dropped silently.</summary>
    Ignore,

    /// <summary>Dropped, with a <c>Warning</c> response header each (the default, as in kube-apiserver).</summary>
    Warn,

    /// <summary>The request fails (kubectl's default: it sends Strict).</summary>
    Strict,
}

/// <summary>A request body decoded against a kind's schema.</summary>
/// <param name="Object">The body without unknown fields; a duplicated field keeps its last value.</param>
/// <param name="StrictErrors">kube's wording, in body order: <c>unknown field "spec.foo"</c>, <c>duplicate field "metadata.name"</c>.</param>
/// <param name="TypeError">The first value of the wrong JSON type, in Go's json wording; fails in every mode.</param>
internal sealed record DecodedBody(JsonObject Object, IReadOnlyList<string> StrictErrors, string? TypeError);

/// <summary>
/// Server-side field validation (kube-apiserver's strict decoding): a body is read against the kind's
/// <see cref="SchemaNode"/> in one pass, dropping fields the schema does not know, as decoding into
/// typed Go structs does in every mode, and reporting them and duplicated fields for the directive.
/// </summary>
internal static class FieldValidation
{
    public static readonly string[] Directives = ["Ignore", "Strict", "Warn"];

    private const int MaxWarningBytes = 4096;

    /// <summary>The directive; absent or empty is Warn (kube-apiserver's default). False for any other value.</summary>
    public static bool TryParseDirective(string? value, out FieldValidationDirective directive)
    {
        directive = value switch
        {
            null or "" or "Warn" => FieldValidationDirective.Warn,
            "Strict" => FieldValidationDirective.Strict,
            "Ignore" => FieldValidationDirective.Ignore,
            _ => (FieldValidationDirective)(-1),
        };
        return Enum.IsDefined(directive);
    }

    /// <summary>
    /// Decodes a JSON object. <paramref name="schema"/> null keeps every field (a kind nobody modelled).
    /// In a <paramref name="patch"/>, <c>$</c>-directives and null values (deletions) are not fields.
    /// Throws <see cref="JsonException"/> on malformed JSON and <see cref="InvalidDataException"/> when
    /// the body is not an object.
    /// </summary>
    public static DecodedBody Decode(ReadOnlySpan<byte> json, SchemaNode? schema, string kind, bool patch = false)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException("the body is not a JSON object");
        }

        var decoder = new Decoder(kind, patch);
        JsonObject obj = decoder.ReadObject(ref reader, schema?.Resolved);
        if (reader.Read())
        {
            throw new InvalidDataException("the body has content after its JSON object");
        }

        return new DecodedBody(obj, decoder.StrictErrors, decoder.TypeError);
    }

    /// <summary>Removes the fields <paramref name="schema"/> does not know, wherever they are (e.g. after a JSON patch).</summary>
    public static void Prune(JsonObject obj, SchemaNode? schema)
    {
        if (schema is null)
        {
            return;
        }

        SchemaNode resolved = schema.Resolved;
        List<string>? unknown = null;
        foreach ((string name, JsonNode? value) in obj)
        {
            SchemaNode? field = resolved.Properties?.GetValueOrDefault(name) ?? resolved.AdditionalProperties;
            if (field is null && resolved.HasClosedFields)
            {
                (unknown ??= []).Add(name);
            }
            else if (field is not null)
            {
                PruneValue(value, field);
            }
        }

        foreach (string name in unknown ?? [])
        {
            obj.Remove(name);
        }
    }

    /// <summary>
    /// A <c>Warning</c> header per message, in kube's form <c>299 - "unknown field \"x\""</c>. Like
    /// kube-apiserver, at most 4 KiB of warnings are sent: a body with thousands of unknown fields must not
    /// grow a response header block clients refuse.
    /// </summary>
    public static void AddWarnings(HttpResponse response, IEnumerable<string> messages)
    {
        int size = 0;
        foreach (string message in messages)
        {
            string value = "299 - \"" + HeaderText(message) + "\"";
            size += value.Length;
            if (size > MaxWarningBytes)
            {
                return;
            }

            response.Headers.Append("Warning", value);
        }
    }

    // Header values are printable ASCII (Kestrel refuses anything else); field names from the body need not
    // be, so the rest is escaped as \uXXXX, and quotes and backslashes as in a quoted-string.
    private static string HeaderText(string message)
    {
        var text = new StringBuilder(message.Length);
        foreach (char c in message)
        {
            if (c is '"' or '\\')
            {
                text.Append('\\').Append(c);
            }
            else if (c is < ' ' or > '~')
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    private static void PruneValue(JsonNode? value, SchemaNode schema)
    {
        SchemaNode resolved = schema.Resolved;
        if (value is JsonObject obj)
        {
            Prune(obj, resolved);
        }
        else if (value is JsonArray array && resolved.Items is not null)
        {
            foreach (JsonNode? item in array)
            {
                PruneValue(item, resolved.Items);
            }
        }
    }

    /// <summary>Go's name for the type a schema decodes into, for type errors.</summary>
    private static string GoType(SchemaNode schema)
    {
        SchemaNode resolved = schema.Resolved;
        return resolved.Type switch
        {
            "object" when resolved.AdditionalProperties is not null => "map[string]" + GoType(resolved.AdditionalProperties),
            "object" when resolved.Name is not null => "v1." + resolved.Name[(resolved.Name.LastIndexOf('.') + 1)..],
            "object" => "map[string]interface {}",
            "array" => "[]" + (resolved.Items is null ? "interface {}" : GoType(resolved.Items)),
            "integer" => resolved.Format ?? "int64",
            "boolean" => "bool",
            "number" => "float64",
            _ => "string",
        };
    }

    private sealed class Decoder(string kind, bool patch)
    {
        private readonly List<string> _path = [];

        public List<string> StrictErrors { get; } = [];

        public string? TypeError { get; private set; }

        public JsonObject ReadObject(ref Utf8JsonReader reader, SchemaNode? schema)
        {
            var obj = new JsonObject();
            HashSet<string>? dropped = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                _path.Add(name);
                if (obj.ContainsKey(name) || dropped?.Contains(name) == true)
                {
                    StrictErrors.Add($"duplicate field \"{Path()}\"");
                }

                SchemaNode? field = schema?.Properties?.GetValueOrDefault(name) ?? schema?.AdditionalProperties;
                bool directive = patch && name.StartsWith('$');
                if (field is null && schema is not null && schema.HasClosedFields && !directive)
                {
                    if (!(patch && reader.TokenType == JsonTokenType.Null))
                    {
                        StrictErrors.Add($"unknown field \"{Path()}\"");
                    }

                    (dropped ??= []).Add(name);
                    reader.Skip();
                }
                else
                {
                    // A duplicate keeps its last value, as Go's encoding/json does.
                    obj[name] = ReadValue(ref reader, directive ? null : field);
                }

                _path.RemoveAt(_path.Count - 1);
            }

            return obj;
        }

        private JsonNode? ReadValue(ref Utf8JsonReader reader, SchemaNode? schema)
        {
            SchemaNode? resolved = schema?.Resolved;
            string? expected = resolved?.Type;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject when expected is null or "object":
                    return ReadObject(ref reader, resolved);
                case JsonTokenType.StartArray when expected is null or "array":
                    var array = new JsonArray();
                    for (int index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
                    {
                        _path.Add("[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");
                        array.Add(ReadValue(ref reader, resolved?.Items));
                        _path.RemoveAt(_path.Count - 1);
                    }

                    return array;
                case JsonTokenType.Null:
                    return null;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    Mismatch(reader.TokenType == JsonTokenType.StartObject ? "object" : "array", resolved!);
                    reader.Skip();
                    return null;
                case var _ when expected is "object" or "array":
                    Mismatch(reader.TokenType switch { JsonTokenType.String => "string", JsonTokenType.Number => "number", _ => "bool" }, resolved!);
                    return null;
                case JsonTokenType.String:
                    return JsonValue.Create(reader.GetString()!);
                case JsonTokenType.True or JsonTokenType.False:
                    return JsonValue.Create(reader.GetBoolean());
                default:
                    // Numbers keep their text (int64 values beyond double precision survive).
                    return JsonValue.Create(JsonElement.ParseValue(ref reader));
            }
        }

        private void Mismatch(string actual, SchemaNode expected)
            => TypeError ??= $"json: cannot unmarshal {actual} into Go struct field {kind}.{Path()} of type {GoType(expected)}";

        private string Path()
        {
            var path = new StringBuilder();
            foreach (string segment in _path)
            {
                if (path.Length > 0 && segment[0] != '[')
                {
                    path.Append('.');
                }

                path.Append(segment);
            }

            return path.ToString();
        }
    }
}
