using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api.Security;

/// <summary>The bodies of the Rancher-shaped <c>/v3</c> and <c>/v3-public</c> actions (login, logout, password).</summary>
public static class V3Responses
{
    private const int MaxBodyBytes = 64 * 1024;

    /// <summary>Rancher's v3 error body: <c>{"type":"error","status","code","message"}</c>.</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string code, string message)
        => JsonResponses.WriteObjectAsync(context, status, new JsonObject
        {
            ["type"] = "error",
            ["status"] = status.ToString(CultureInfo.InvariantCulture),
            ["code"] = code,
            ["message"] = message,
        });

    /// <summary>
    /// The answer when <see cref="ApiSecurity.Authenticate"/> found no caller: 403 <c>InvalidCSRFToken</c> (Rancher's
    /// code) for a session cookie without its CSRF header, else 401.
    /// </summary>
    public static Task WriteUnauthenticatedAsync(HttpContext context, bool csrfRefused)
        => csrfRefused
            ? WriteErrorAsync(context, 403, "InvalidCSRFToken", SessionCookies.CsrfRefusedMessage)
            : WriteErrorAsync(context, 401, "Unauthorized", "authentication failed");

    /// <summary>The request body as a JSON object; null when it is not one or is over 64 KiB.</summary>
    public static async Task<JsonObject?> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[4096];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return JsonNode.Parse(buffer.ToArray()) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
