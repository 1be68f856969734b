using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Appliance.Api.FieldRules;

namespace Appliance.Api;

/// <summary>The kind-specific write rules referenced from <see cref="ResourceRegistry"/>.</summary>
internal static class ObjectRules
{
    /// <summary>
    /// A new namespace is Active (kube-apiserver's namespace strategy sets the phase on create;
    /// termination is not implemented yet, so it stays Active).
    /// </summary>
    public static void PrepareNamespace(JsonObject obj, List<ApiStatusCause> causes)
    {
        JsonObject status = obj["status"] as JsonObject ?? new JsonObject();
        status["phase"] = "Active";
        obj["status"] = status;
    }

    /// <summary>
    /// <c>stringData</c> is write-only: kube-apiserver merges it into base64 <c>data</c> (stringData wins
    /// on a duplicate key) and never stores it. <c>type</c> defaults to Opaque.
    /// </summary>
    public static void PrepareSecret(JsonObject obj, List<ApiStatusCause> causes)
    {
        JsonObject data = obj["data"] as JsonObject ?? new JsonObject();
        foreach ((string key, JsonNode? value) in data)
        {
            if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String || !IsBase64(v.GetValue<string>()))
            {
                causes.Add(Invalid("data[" + key + "]", "must be a base64-encoded string"));
            }
        }

        if (obj["stringData"] is JsonObject stringData)
        {
            foreach ((string key, JsonNode? value) in stringData)
            {
                if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(v.GetValue<string>()));
                }
                else
                {
                    causes.Add(Invalid("stringData[" + key + "]", "must be a string"));
                }
            }
        }

        obj.Remove("stringData");
        obj["data"] = data;
        if (string.IsNullOrEmpty(obj["type"] is JsonValue type && type.GetValueKind() == JsonValueKind.String ? type.GetValue<string>() : null))
        {
            obj["type"] = "Opaque";
        }
    }

    /// <summary>ConfigMap <c>data</c> values are strings (binary content goes to <c>binaryData</c>).</summary>
    public static void PrepareConfigMap(JsonObject obj, List<ApiStatusCause> causes)
    {
        if (obj["data"] is JsonObject data)
        {
            foreach ((string key, JsonNode? value) in data)
            {
                if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                {
                    causes.Add(Invalid("data[" + key + "]", "must be a string"));
                }
            }
        }
    }

    /// <summary>A Rancher Setting holds its value in a top-level string field <c>value</c> (may be empty).</summary>
    public static void PrepareSetting(JsonObject obj, List<ApiStatusCause> causes)
    {
        JsonNode? value = obj["value"];
        if (value is null)
        {
            obj["value"] = "";
        }
        else if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            causes.Add(Invalid("value", "must be a string"));
        }
        else if (Security.TokenPolicy.Problem(Text(obj["metadata"]?["name"]), Text(value)) is string problem)
        {
            causes.Add(Invalid("value", problem));
        }
    }

    private static bool IsBase64(string value)
    {
        Span<byte> scratch = value.Length <= 1024 ? stackalloc byte[value.Length] : new byte[value.Length];
        return Convert.TryFromBase64String(value, scratch, out _);
    }
}
