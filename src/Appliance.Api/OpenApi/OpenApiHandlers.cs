using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Appliance.Api.OpenApi;

/// <summary>
/// Serves <c>/openapi/v3</c> and the group version documents with kube-openapi's caching: an ETag on
/// every answer (304 on If-None-Match), and with <c>?hash=</c> of the current content an immutable,
/// year-long Cache-Control (client-go keeps those on disk); a stale hash is redirected to the current one.
/// </summary>
internal sealed class OpenApiHandlers(ResourceRegistry registry)
{
    // Built on first use, not at start-up: most processes never serve OpenAPI.
    private readonly Lazy<OpenApiDocuments> _documents = new(() => new OpenApiDocuments(registry));

    public Task DiscoveryAsync(HttpContext context) => ServeAsync(context, _documents.Value.Discovery, path: null);

    public Task CoreAsync(HttpContext context)
        => GroupVersionAsync(context, OpenApiDocuments.GroupVersionPath("", context.Request.RouteValues["version"] as string ?? ""));

    public Task GroupAsync(HttpContext context)
        => GroupVersionAsync(context, OpenApiDocuments.GroupVersionPath(context.Request.RouteValues["group"] as string ?? "", context.Request.RouteValues["version"] as string ?? ""));

    private Task GroupVersionAsync(HttpContext context, string path)
    {
        OpenApiDocument? document = _documents.Value.Find(path);
        if (document is null)
        {
            return JsonResponses.WriteStatusAsync(context, ApiErrors.NotFoundPath());
        }

        // Only JSON is served: a client asking for the protobuf form alone gets 406, as from kube-apiserver
        // when nothing it accepts is available.
        if (!AcceptsJson(context.Request.Headers.Accept.ToString()))
        {
            return JsonResponses.WriteStatusAsync(context, new ApiStatus { Code = 406, Reason = "NotAcceptable", Message = "only application/json is served" });
        }

        return ServeAsync(context, document, path);
    }

    private static async Task ServeAsync(HttpContext context, OpenApiDocument document, string? path)
    {
        HttpResponse response = context.Response;
        string? hash = context.Request.Query["hash"];
        if (path is not null && !string.IsNullOrEmpty(hash))
        {
            if (!string.Equals(hash, document.Hash, StringComparison.Ordinal))
            {
                response.StatusCode = StatusCodes.Status301MovedPermanently;
                response.Headers.Location = "/openapi/v3/" + path + "?hash=" + document.Hash;
                return;
            }

            // The URL names this exact content: it can be cached for good.
            response.Headers.CacheControl = "public, immutable";
            response.Headers.Expires = DateTimeOffset.UtcNow.AddYears(1).ToString("R", CultureInfo.InvariantCulture);
            response.Headers.Vary = "Accept";
        }

        string etag = "\"" + document.Hash + "\"";
        response.Headers.ETag = etag;
        if (IfNoneMatch(context.Request, etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonResponses.ContentType;
        response.ContentLength = document.Json.Length;
        await response.Body.WriteAsync(document.Json, context.RequestAborted).ConfigureAwait(false);
    }

    private static bool IfNoneMatch(HttpRequest request, string etag)
    {
        foreach (string? value in request.Headers.IfNoneMatch)
        {
            foreach (string candidate in (value ?? "").Split(','))
            {
                string trimmed = candidate.Trim();
                if (trimmed == "*" || trimmed == etag || trimmed == "W/" + etag)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool AcceptsJson(string accept)
    {
        if (accept.Length == 0)
        {
            return true;
        }

        foreach (string range in accept.Split(','))
        {
            string mediaType = range.Split(';')[0].Trim();
            if (mediaType is "application/json" or "application/*" or "*/*")
            {
                return true;
            }
        }

        return false;
    }
}
