using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Store;

namespace Appliance.Api;

/// <summary>
/// Finalizers, as kube-apiserver runs them: deleting an object that has any only marks it
/// (<c>deletionTimestamp</c>); whoever owns a finalizer does its cleanup and removes it; the update that
/// removes the last one deletes the object. No new finalizer can be added once deletion has begun.
/// </summary>
public sealed partial class ResourceEngine
{
    private static bool HasFinalizers(JsonObject obj)
        => obj["metadata"]?["finalizers"] is JsonArray { Count: > 0 };

    /// <summary>
    /// Deletes <paramref name="item"/>, or marks it for deletion when it has finalizers (a no-op when it is
    /// marked already). <paramref name="obj"/> is the materialized item; the marked object is returned.
    /// </summary>
    private async Task<(WriteResult Result, JsonObject? Remaining)> DeleteOrMarkAsync(KeyValue item, JsonObject obj)
    {
        if (!HasFinalizers(obj))
        {
            return (await _store.DeleteAsync(item.Key, item.ModRevision).ConfigureAwait(false), null);
        }

        JsonObject metadata = Metadata(obj);
        if (metadata["deletionTimestamp"] is not null)
        {
            return (new WriteResult(StoreStatus.Ok, item.ModRevision), obj);
        }

        metadata["deletionTimestamp"] = Timestamp();
        metadata["deletionGracePeriodSeconds"] = 0;
        metadata.Remove("resourceVersion");
        byte[] value = StoredValue(item.Key, obj);
        WriteResult result = await _store.UpdateAsync(item.Key, value, item.ModRevision).ConfigureAwait(false);
        SetResourceVersion(obj, result.IsOk ? result.Revision : item.ModRevision);
        return (result, obj);
    }

    /// <summary>
    /// Carries the deletion mark of <paramref name="old"/> into <paramref name="updated"/> (clients cannot
    /// set or clear it) and refuses finalizers added after deletion began (422, kube's wording).
    /// </summary>
    private static void KeepDeletionState(ResourceDefinition definition, string name, JsonObject old, JsonObject updated)
    {
        JsonObject oldMetadata = Metadata(old);
        JsonObject metadata = Metadata(updated);
        JsonNode? deletion = oldMetadata["deletionTimestamp"];
        if (deletion is null)
        {
            metadata.Remove("deletionTimestamp");
            metadata.Remove("deletionGracePeriodSeconds");
            return;
        }

        metadata["deletionTimestamp"] = deletion.DeepClone();
        metadata["deletionGracePeriodSeconds"] = oldMetadata["deletionGracePeriodSeconds"]?.DeepClone();
        var before = new HashSet<string>(StringComparer.Ordinal);
        if (oldMetadata["finalizers"] is JsonArray oldFinalizers)
        {
            foreach (JsonNode? finalizer in oldFinalizers)
            {
                before.Add(finalizer?.ToString() ?? "");
            }
        }

        if (metadata["finalizers"] is JsonArray finalizers)
        {
            foreach (JsonNode? finalizer in finalizers)
            {
                if (!before.Contains(finalizer?.ToString() ?? ""))
                {
                    throw new ApiException(ApiErrors.Invalid(definition.Group, definition.Kind, name,
                        [new ApiStatusCause { Reason = "FieldValueForbidden", Field = "metadata.finalizers", Message = "Forbidden: no new finalizers can be added if the object is being deleted" }]));
                }
            }
        }
    }

    /// <summary>True when <paramref name="updated"/> is marked for deletion and has no finalizer left.</summary>
    private static bool FinalizersDone(JsonObject updated)
        => Metadata(updated)["deletionTimestamp"] is not null && !HasFinalizers(updated);

    /// <summary>Deletes an object as a client's DELETE would (marked only while it has finalizers); false when it did not exist.</summary>
    internal async Task<bool> DeleteAsync(ResourceDefinition definition, string? namespaceName, string name)
    {
        string key = definition.Key(namespaceName, name);
        for (int attempt = 0; ; attempt++)
        {
            GetResult current = _store.Get(key);
            if (current.Item is null)
            {
                return false;
            }

            (WriteResult result, _) = await DeleteOrMarkAsync(current.Item, Materialize(current.Item.Key, current.Item.Value, current.Item.ModRevision)).ConfigureAwait(false);
            if (result.IsOk)
            {
                return true;
            }

            if (result.Status != StoreStatus.Conflict || attempt >= MaxWriteAttempts)
            {
                throw new ApiException(FromStoreStatus(result.Status, new RequestTarget(definition, namespaceName, name), name));
            }
        }
    }

    /// <summary>Removes an object outright (finalizers not consulted); for the server's own bookkeeping objects.</summary>
    internal async Task DeleteIfExistsAsync(ResourceDefinition definition, string? namespaceName, string name)
    {
        string key = definition.Key(namespaceName, name);
        for (int attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            GetResult current = _store.Get(key);
            if (current.Item is null || (await _store.DeleteAsync(key, current.Item.ModRevision).ConfigureAwait(false)).IsOk)
            {
                return;
            }
        }
    }
}
