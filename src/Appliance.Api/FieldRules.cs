using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>The small checks the kinds' write rules share, with apimachinery's cause wording.</summary>
internal static class FieldRules
{
    public static string? Text(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static ApiStatusCause Invalid(string field, string message)
        => new() { Reason = "FieldValueInvalid", Field = field, Message = "Invalid value: " + message };

    public static ApiStatusCause Required(string field)
        => new() { Reason = "FieldValueRequired", Field = field, Message = "Required value" };

    public static ApiStatusCause NotSupported(string field, string? value, string supported)
        => new() { Reason = "FieldValueNotSupported", Field = field, Message = $"Unsupported value: \"{value}\": supported values: {supported}" };

    /// <summary>A cause when <paramref name="property"/> is present but not a string (<paramref name="path"/> names it).</summary>
    public static void OptionalString(JsonObject obj, string property, string path, List<ApiStatusCause> causes)
    {
        if (obj[property] is JsonNode value && Text(value) is null)
        {
            causes.Add(Invalid(path, "must be a string"));
        }
    }

    /// <summary>Sets <paramref name="property"/> to <paramref name="value"/> when absent; a cause when it is not a boolean.</summary>
    public static void DefaultBool(JsonObject obj, string property, bool value, List<ApiStatusCause> causes)
    {
        JsonNode? node = obj[property];
        if (node is null)
        {
            obj[property] = value;
        }
        else if (node.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            causes.Add(Invalid(property, "must be true or false"));
        }
    }
}
