using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

/// <summary>
/// Server-side printing: the meta.k8s.io/v1 <c>Table</c> kubectl asks for with
/// <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>, so <c>kubectl get</c> prints the same
/// columns as against kube-apiserver (apiserver <c>pkg/endpoints/handlers/response.go</c>).
/// </summary>
internal static class TableWriter
{
    public const string ContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    /// <summary>True when the client accepts a v1 Table (kubectl always lists plain JSON as the fallback).</summary>
    public static bool IsRequested(HttpRequest request)
    {
        foreach (string? accept in request.Headers.Accept)
        {
            if (accept is null)
            {
                continue;
            }

            foreach (string part in accept.Split(','))
            {
                // v1 only: "v=v1;" in the middle or "v=v1" at the end, not "v=v1beta1".
                bool v1 = part.Contains("v=v1;", StringComparison.Ordinal) || part.TrimEnd().EndsWith("v=v1", StringComparison.Ordinal);
                if (v1 && part.Contains("as=Table", StringComparison.Ordinal) && part.Contains("g=meta.k8s.io", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Writes a Table of <paramref name="objects"/>. Column definitions are left out when
    /// <paramref name="includeColumns"/> is false (watch events after the first, as kube-apiserver does).
    /// Each row carries the object as PartialObjectMetadata (the default <c>includeObject=Metadata</c>),
    /// the whole object (<c>Object</c>) or nothing (<c>None</c>).
    /// </summary>
    public static void Write(Utf8JsonWriter writer, ResourceDefinition definition, IEnumerable<JsonObject> objects, string? resourceVersion, string? continueToken, bool includeColumns, string? includeObject, DateTimeOffset now)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", "Table");
        writer.WriteString("apiVersion", "meta.k8s.io/v1");
        writer.WriteStartObject("metadata");
        if (resourceVersion is not null)
        {
            writer.WriteString("resourceVersion", resourceVersion);
        }

        if (continueToken is not null)
        {
            writer.WriteString("continue", continueToken);
        }

        writer.WriteEndObject();
        if (includeColumns)
        {
            writer.WriteStartArray("columnDefinitions");
            WriteColumn(writer, "Name", "string", "name", "Name must be unique within a namespace.");
            foreach (TableColumn column in definition.Columns)
            {
                WriteColumn(writer, column.Name, column.Type, "", column.Description);
            }

            WriteColumn(writer, "Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.");
            writer.WriteEndArray();
        }

        writer.WriteStartArray("rows");
        foreach (JsonObject obj in objects)
        {
            JsonObject? metadata = obj["metadata"] as JsonObject;
            writer.WriteStartObject();
            writer.WriteStartArray("cells");
            writer.WriteStringValue(metadata?["name"]?.GetValue<string>() ?? "");
            foreach (TableColumn column in definition.Columns)
            {
                JsonNode? cell = column.Cell(obj);
                if (cell is null)
                {
                    writer.WriteStringValue("<none>");
                }
                else
                {
                    cell.WriteTo(writer);
                }
            }

            writer.WriteStringValue(Age(metadata?["creationTimestamp"]?.GetValue<string>(), now));
            writer.WriteEndArray();
            if (includeObject == "Object")
            {
                writer.WritePropertyName("object");
                obj.WriteTo(writer);
            }
            else if (includeObject != "None")
            {
                writer.WriteStartObject("object");
                writer.WriteString("kind", "PartialObjectMetadata");
                writer.WriteString("apiVersion", "meta.k8s.io/v1");
                writer.WritePropertyName("metadata");
                (metadata ?? []).WriteTo(writer);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>apimachinery's <c>duration.HumanDuration</c>: "45s", "3m20s", "2h5m", "3d4h", "2y10d".</summary>
    public static string Age(string? creationTimestamp, DateTimeOffset now)
    {
        if (creationTimestamp is null || !DateTimeOffset.TryParse(creationTimestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset created))
        {
            return "<unknown>";
        }

        TimeSpan age = now - created;
        long seconds = (long)age.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return $"{seconds}s";
        }

        long minutes = seconds / 60;
        if (minutes < 10)
        {
            long s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }

        if (minutes < 60 * 3)
        {
            return $"{minutes}m";
        }

        long hours = minutes / 60;
        if (hours < 8)
        {
            long m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            long h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        if (hours < 24 * 365 * 8)
        {
            long d = (hours / 24) % 365;
            return d == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{d}d";
        }

        return $"{hours / 24 / 365}y";
    }

    private static void WriteColumn(Utf8JsonWriter writer, string name, string type, string format, string description)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteString("type", type);
        writer.WriteString("format", format);
        writer.WriteString("description", description);
        writer.WriteNumber("priority", 0);
        writer.WriteEndObject();
    }
}
