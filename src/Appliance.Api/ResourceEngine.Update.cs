using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Store;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

public sealed partial class ResourceEngine
{
    private const string MergePatchMediaType = "application/merge-patch+json";
    private const string StrategicMergePatchMediaType = "application/strategic-merge-patch+json";

    /// <summary>
    /// PUT: replaces the object. With <c>metadata.resourceVersion</c> the write is a compare-and-swap on it
    /// (409 Conflict when stale); without, it is unconditional, as kube-apiserver allows for these kinds.
    /// </summary>
    private async Task UpdateAsync(HttpContext context, RequestTarget target)
    {
        JsonObject body = await ReadObjectAsync(context, target.Definition).ConfigureAwait(false);
        long expected = ParseExpectedRevision(target, body);
        JsonObject updated = await UpdateStoredAsync(context, target, expected, _ => body.DeepClone().AsObject()).ConfigureAwait(false);
        await JsonResponses.WriteObjectAsync(context, StatusCodes.Status200OK, updated).ConfigureAwait(false);
    }

    /// <summary>
    /// PATCH with a JSON merge patch (RFC 7386). A strategic merge patch is applied the same way: for the
    /// kinds served today it only differs on lists with merge keys, which they do not have (kubectl
    /// label/annotate/edit send these for built-in kinds). <c>$</c>-directives are dropped. A
    /// <c>metadata.resourceVersion</c> in the patch is a precondition, as in kube-apiserver.
    /// </summary>
    private async Task PatchAsync(HttpContext context, RequestTarget target)
    {
        string? contentType = context.Request.ContentType;
        bool merge = contentType is not null && contentType.StartsWith(MergePatchMediaType, StringComparison.OrdinalIgnoreCase);
        bool strategic = contentType is not null && contentType.StartsWith(StrategicMergePatchMediaType, StringComparison.OrdinalIgnoreCase);
        if (!merge && !strategic)
        {
            throw new ApiException(new ApiStatus
            {
                Code = 415,
                Reason = "UnsupportedMediaType",
                Message = $"the body of the request was in an unknown format - accepted media types include: {MergePatchMediaType}, {StrategicMergePatchMediaType}",
            });
        }

        JsonObject patch = await ReadBodyAsync(context).ConfigureAwait(false)
            ?? throw new ApiException(ApiErrors.BadRequest("the patch is empty"));
        long expected = ParseExpectedRevision(target, patch);
        JsonObject patched = await UpdateStoredAsync(context, target, expected, current =>
        {
            JsonMergePatch.Apply(current, patch, dropDirectives: strategic);
            return current;
        }).ConfigureAwait(false);
        await JsonResponses.WriteObjectAsync(context, StatusCodes.Status200OK, patched).ConfigureAwait(false);
    }

    /// <summary>The client's resourceVersion precondition (0: none); 422 when it is not a revision.</summary>
    private static long ParseExpectedRevision(RequestTarget target, JsonObject obj)
    {
        string? resourceVersion = obj["metadata"] is JsonObject metadata ? GetString(metadata, "resourceVersion") : null;
        if (string.IsNullOrEmpty(resourceVersion))
        {
            return 0;
        }

        if (!TryParseRevision(resourceVersion, out long expected) || expected == 0)
        {
            throw new ApiException(ApiErrors.Invalid(target.Definition.Group, target.Definition.Kind, target.Name!,
                [new ApiStatusCause { Reason = "FieldValueInvalid", Field = "metadata.resourceVersion", Message = $"Invalid value: \"{resourceVersion}\": must be a positive integer" }]));
        }

        return expected;
    }

    /// <summary>
    /// The read-modify-write shared by PUT and PATCH: <paramref name="produce"/> turns a copy of the stored
    /// object into the desired one, which is written with a compare-and-swap on the revision read.
    /// uid, creationTimestamp and generation are the server's: kept from the stored object, generation
    /// bumped only when something outside metadata and status changed. A lost race is retried unless the
    /// client gave a resourceVersion (then it is the client's 409).
    /// </summary>
    private async Task<JsonObject> UpdateStoredAsync(HttpContext context, RequestTarget target, long expected, Func<JsonObject, JsonObject> produce)
    {
        ResourceDefinition definition = target.Definition;
        string name = target.Name!;
        string key = definition.Key(target.Namespace, name);
        for (int attempt = 0; ; attempt++)
        {
            GetResult current = _store.Get(key);
            if (current.Status != StoreStatus.Ok)
            {
                throw new ApiException(FromStoreStatus(current.Status, target, name));
            }

            if (expected != 0 && expected != current.Item!.ModRevision)
            {
                throw new ApiException(ApiErrors.Conflict(definition.Group, definition.Resource, name));
            }

            JsonObject old = Materialize(current.Item!.Value, current.Item.ModRevision);
            JsonObject obj = produce(old.DeepClone().AsObject());
            JsonObject metadata = Metadata(obj);
            PrepareIdentity(target, obj, metadata);
            string? bodyName = GetString(metadata, "name");
            if (bodyName != name)
            {
                throw new ApiException(ApiErrors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})"));
            }

            JsonObject oldMetadata = Metadata(old);
            metadata.Remove("resourceVersion");
            metadata["uid"] = oldMetadata["uid"]?.DeepClone();
            metadata["creationTimestamp"] = oldMetadata["creationTimestamp"]?.DeepClone();
            Validate(definition, obj, name);
            long generation = oldMetadata["generation"] is JsonValue g && g.TryGetValue(out long value) ? value : 1;
            metadata["generation"] = SpecChanged(old, obj) ? generation + 1 : generation;

            if (IsDryRun(context))
            {
                SetResourceVersion(obj, current.Item.ModRevision);
                return obj;
            }

            byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(obj, ApiJsonContext.Default.JsonObject);
            WriteResult result = await _store.UpdateAsync(key, bytes, current.Item.ModRevision).ConfigureAwait(false);
            if (result.IsOk)
            {
                SetResourceVersion(obj, result.Revision);
                return obj;
            }

            if (expected != 0 || result.Status != StoreStatus.Conflict || attempt >= MaxWriteAttempts)
            {
                throw new ApiException(FromStoreStatus(result.Status, target, name));
            }
        }
    }
}
