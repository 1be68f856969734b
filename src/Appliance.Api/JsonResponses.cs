using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

/// <summary>Writes API bodies straight to the response pipe; every answer is <c>application/json</c>.</summary>
public static class JsonResponses
{
    public const string ContentType = "application/json";

    public static async Task WriteObjectAsync(HttpContext context, int statusCode, JsonObject obj)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = ContentType;
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            obj.WriteTo(writer);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteStatusAsync(HttpContext context, ApiStatus status)
    {
        context.Response.StatusCode = status.Code is >= 100 and < 600 ? status.Code : 500;
        context.Response.ContentType = ContentType;
        await JsonSerializer.SerializeAsync(context.Response.Body, status, ApiJsonContext.Default.ApiStatus, context.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteAsync<T>(HttpContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ContentType;
        return JsonSerializer.SerializeAsync(context.Response.Body, value, typeInfo, context.RequestAborted);
    }
}
