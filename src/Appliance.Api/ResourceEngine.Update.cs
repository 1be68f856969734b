using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Store;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

public sealed partial class ResourceEngine
{
    private const string JsonPatchMediaType = "application/json-patch+json";
    private const string MergePatchMediaType = "application/merge-patch+json";
    private const string StrategicMergePatchMediaType = "application/strategic-merge-patch+json";
    private const string ApplyPatchMediaType = "application/apply-patch+yaml";

    /// <summary>
    /// PUT: replaces the object. With <c>metadata.resourceVersion</c> the write is a compare-and-swap on it
    /// (409 Conflict when stale); without, it is unconditional, as kube-apiserver allows for these kinds.
    /// </summary>
    private async Task UpdateAsync(HttpContext context, RequestTarget target)
    {
        JsonObject body = await ReadObjectAsync(context, target.Definition).ConfigureAwait(false);
        long expected = ParseExpectedRevision(target, body);
        JsonObject updated = await UpdateStoredAsync(target, expected, _ => body.DeepClone().AsObject(), IsDryRun(context)).ConfigureAwait(false);
        await JsonResponses.WriteObjectAsync(context, StatusCodes.Status200OK, updated).ConfigureAwait(false);
    }

    /// <summary>
    /// PATCH with a JSON patch (RFC 6902), a JSON merge patch (RFC 7386) or, for built-in kinds, a
    /// strategic merge patch, as kube-apiserver applies them: to the stored object, resourceVersion
    /// included, and again to the new one when another writer wins the compare-and-swap. A patch that
    /// changes <c>metadata.resourceVersion</c> makes it a precondition (409 when stale), as in kube-apiserver.
    /// Server-side apply is not served (415).
    /// </summary>
    private async Task PatchAsync(HttpContext context, RequestTarget target)
    {
        ResourceDefinition definition = target.Definition;
        FrozenDictionary<string, MergeList>? mergeLists = StrategicMergeKeys.For(definition.Group, definition.Kind);
        string mediaType = (context.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is not (JsonPatchMediaType or MergePatchMediaType) && !(mediaType == StrategicMergePatchMediaType && mergeLists is not null))
        {
            throw new ApiException(UnsupportedPatchType(mediaType, mergeLists is not null));
        }

        ArraySegment<byte> body = await ReadBodyBytesAsync(context).ConfigureAwait(false);
        if (body.Count == 0)
        {
            throw new ApiException(ApiErrors.BadRequest("the patch is empty"));
        }

        Func<JsonObject, JsonNode?> apply;
        if (mediaType == JsonPatchMediaType)
        {
            JsonArray operations = RunPatch(() => JsonPatch.Parse(body));
            if (operations.Count > JsonPatch.MaxOperations)
            {
                throw new ApiException(new ApiStatus
                {
                    Code = 413,
                    Reason = "RequestEntityTooLarge",
                    Message = $"Request entity too large: The allowed maximum operations in a JSON patch is {JsonPatch.MaxOperations}, got {operations.Count}",
                });
            }

            apply = current => JsonPatch.Apply(current, operations);
        }
        else
        {
            JsonObject patch = ParsePatchObject(body);
            apply = mediaType == MergePatchMediaType
                ? current => JsonMergePatch.Apply(current, patch)
                : current => StrategicMergePatch.Apply(current, patch, mergeLists!);
        }

        JsonObject patched = await UpdateStoredAsync(target, 0, current =>
        {
            string? stored = GetString(Metadata(current), "resourceVersion");
            JsonObject result = RunPatch(() => apply(current)) as JsonObject ?? throw new ApiException(ApiErrors.Invalid(definition.Group, definition.Kind, target.Name!,
                [new ApiStatusCause { Reason = "FieldValueInvalid", Field = "patch", Message = "Invalid value: the patched document is not an object" }]));
            long expected = ParseExpectedRevision(target, result);
            if (expected != 0 && GetString(Metadata(result), "resourceVersion") != stored)
            {
                throw new ApiException(ApiErrors.Conflict(definition.Group, definition.Resource, target.Name!));
            }

            return result;
        }, IsDryRun(context)).ConfigureAwait(false);
        await JsonResponses.WriteObjectAsync(context, StatusCodes.Status200OK, patched).ConfigureAwait(false);
    }

    /// <summary>
    /// The server's own read-modify-write of an existing object (compare-and-swap, redone on a lost race),
    /// with the same rules as a client's update; 404 ApiException when it does not exist.
    /// </summary>
    internal Task<JsonObject> ReplaceAsync(ResourceDefinition definition, string? namespaceName, string name, Func<JsonObject, JsonObject> produce)
        => UpdateStoredAsync(new RequestTarget(definition, namespaceName, name), 0, produce, dryRun: false);

    /// <summary>As <see cref="ReplaceAsync"/>, through the <c>status</c> subresource: only the status is taken from <paramref name="produce"/>.</summary>
    internal Task<JsonObject> ReplaceStatusAsync(ResourceDefinition definition, string? namespaceName, string name, Func<JsonObject, JsonObject> produce)
        => UpdateStoredAsync(new RequestTarget(definition, namespaceName, name, StatusSubresource), 0, produce, dryRun: false);

    /// <summary>
    /// Parses or applies a patch, turning its <see cref="PatchException"/> into kube-apiserver's answer: 400
    /// for a malformed patch; 422 with the reason as an UnexpectedServerResponse cause for one that does
    /// not apply (apiserver's NewGenericServerResponse, which kubectl prints as "The request is invalid").
    /// </summary>
    private static T RunPatch<T>(Func<T> run)
    {
        try
        {
            return run();
        }
        catch (PatchException e) when (e.Malformed)
        {
            throw new ApiException(ApiErrors.BadRequest(e.Message));
        }
        catch (PatchException e)
        {
            throw new ApiException(new ApiStatus
            {
                Code = 422,
                Reason = "Invalid",
                Message = "the server rejected our request due to an error in our request",
                Details = new ApiStatusDetails { Causes = [new ApiStatusCause { Reason = "UnexpectedServerResponse", Message = e.Message }] },
            });
        }
    }

    /// <summary>A merge patch body: a JSON object (400 otherwise, duplicate members included).</summary>
    private static JsonObject ParsePatchObject(ReadOnlySpan<byte> body)
    {
        try
        {
            return JsonNode.Parse(body, documentOptions: JsonPatch.ParseOptions) as JsonObject
                ?? throw new ApiException(ApiErrors.BadRequest("a merge patch must be a JSON object"));
        }
        catch (JsonException e)
        {
            throw new ApiException(ApiErrors.BadRequest("the patch is not valid JSON: " + e.Message));
        }
    }

    /// <summary>kube-apiserver's 415 for a patch type the kind does not take, naming those it does.</summary>
    private static ApiStatus UnsupportedPatchType(string mediaType, bool strategic)
    {
        string accepted = JsonPatchMediaType + ", " + MergePatchMediaType + (strategic ? ", " + StrategicMergePatchMediaType : "");
        string why = mediaType switch
        {
            ApplyPatchMediaType => "server-side apply (" + ApplyPatchMediaType + ") is not supported by this server; use client-side kubectl apply - ",
            StrategicMergePatchMediaType => "strategic merge patch is not supported for this kind, as for custom resources - ",
            _ => "",
        };
        return new ApiStatus
        {
            Code = 415,
            Reason = "UnsupportedMediaType",
            Message = why + "the body of the request was in an unknown format - accepted media types include: " + accepted,
        };
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
    private async Task<JsonObject> UpdateStoredAsync(RequestTarget target, long expected, Func<JsonObject, JsonObject> produce, bool dryRun)
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

            JsonObject old = Materialize(current.Item!.Key, current.Item.Value, current.Item.ModRevision);
            JsonObject obj = produce(old.DeepClone().AsObject());
            if (definition.HasStatusSubresource)
            {
                // The object and its status are written separately: each keeps the other half as stored.
                obj = target.IsStatus ? WithStatusOf(old.DeepClone().AsObject(), obj) : WithStatusOf(obj, old);
            }

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
            KeepDeletionState(definition, name, old, obj);
            Validate(definition, obj, name);
            long generation = oldMetadata["generation"] is JsonValue g && g.TryGetValue(out long value) ? value : 1;
            metadata["generation"] = SpecChanged(old, obj) ? generation + 1 : generation;

            if (dryRun)
            {
                SetResourceVersion(obj, current.Item.ModRevision);
                return obj;
            }

            WriteResult result;
            if (FinalizersDone(obj))
            {
                // The last finalizer is gone from an object marked for deletion: the update deletes it.
                result = await _store.DeleteAsync(key, current.Item.ModRevision).ConfigureAwait(false);
                if (result.IsOk && definition == Namespaces)
                {
                    await DeleteNamespaceContentsAsync(name).ConfigureAwait(false);
                }
            }
            else
            {
                byte[] bytes = StoredValue(key, obj);
                result = await _store.UpdateAsync(key, bytes, current.Item.ModRevision).ConfigureAwait(false);
            }

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

    /// <summary><paramref name="target"/> with the <c>status</c> of <paramref name="source"/> (none if it has none).</summary>
    private static JsonObject WithStatusOf(JsonObject target, JsonObject source)
    {
        JsonNode? status = source["status"]?.DeepClone();
        if (status is null)
        {
            target.Remove("status");
        }
        else
        {
            target["status"] = status;
        }

        return target;
    }
}
