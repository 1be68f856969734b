using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Store;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

public sealed partial class ResourceEngine
{
    /// <summary>One object as stored (decrypted, with its resourceVersion), or null; for the server's own parts.</summary>
    internal JsonObject? Find(ResourceDefinition definition, string? namespaceName, string name)
    {
        GetResult result = _store.Get(definition.Key(namespaceName, name));
        return result.Item is null ? null : Materialize(result.Item.Key, result.Item.Value, result.Item.ModRevision);
    }

    /// <summary>Every object of a kind (in one namespace, or all) at one store revision, decrypted; for the server's own parts.</summary>
    internal (List<JsonObject> Items, long Revision) FindAll(ResourceDefinition definition, string? namespaceName)
    {
        RangeResult range = _store.Range(namespaceName is null ? definition.KeyPrefix : definition.KeyPrefix + namespaceName + "/");
        var items = new List<JsonObject>(range.Items.Count);
        foreach (KeyValue item in range.Items)
        {
            items.Add(Materialize(item.Key, item.Value, item.ModRevision));
        }

        return (items, range.Revision);
    }

    private async Task GetAsync(HttpContext context, RequestTarget target)
    {
        string name = target.Name!;
        ParseReadRevision(context.Request.Query, allowExact: false);
        GetResult result = _store.Get(target.Definition.Key(target.Namespace, name));
        if (result.Status != StoreStatus.Ok)
        {
            throw new ApiException(FromStoreStatus(result.Status, target, name));
        }

        JsonObject obj = Materialize(result.Item!.Key, result.Item.Value, result.Item.ModRevision);
        if (TableWriter.IsRequested(context.Request))
        {
            await WriteTableAsync(context, target.Definition, [obj], null, null).ConfigureAwait(false);
            return;
        }

        await JsonResponses.WriteObjectAsync(context, StatusCodes.Status200OK, obj).ConfigureAwait(false);
    }

    /// <summary>
    /// A list at one store revision (the list's resourceVersion). With <c>limit</c>, store pages are read
    /// until <c>limit</c> objects match the selectors, so a page is never larger than asked and the
    /// continue token resumes right after the last object examined, at the same revision.
    /// </summary>
    private async Task ListAsync(HttpContext context, RequestTarget target)
    {
        IQueryCollection query = context.Request.Query;
        (LabelSelector labels, FieldSelector fields) = ParseSelectors(query, target.Definition);
        int limit = 0;
        string? limitText = query["limit"];
        if (!string.IsNullOrEmpty(limitText) && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 0))
        {
            throw new ApiException(ApiErrors.BadRequest($"invalid limit: {limitText}"));
        }

        string? continueToken = query["continue"];
        if (string.IsNullOrEmpty(continueToken))
        {
            continueToken = null;
        }

        string prefix = target.Definition.ListPrefix(target.Namespace);
        // Without selectors or a Table, objects go out as stored (StoredJson), never parsed.
        bool asStored = labels.Requirements.Count == 0 && fields.Requirements.Count == 0 && !TableWriter.IsRequested(context.Request);
        var items = new List<JsonObject>();
        var storedItems = new List<KeyValue>();
        long revision = ParseReadRevision(query, allowExact: true);
        while (true)
        {
            int count = asStored ? storedItems.Count : items.Count;
            RangeResult page = _store.Range(prefix, limit == 0 ? 0 : limit - count, continueToken, revision);
            switch (page.Status)
            {
                case StoreStatus.Ok:
                    break;
                case StoreStatus.InvalidContinue:
                    throw new ApiException(ApiErrors.BadRequest("the continue parameter is not valid for this request"));
                case StoreStatus.Compacted when continueToken is not null:
                    throw new ApiException(ApiErrors.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."));
                case StoreStatus.Compacted:
                    throw new ApiException(ApiErrors.Expired($"The resourceVersion for the provided list is too old: {revision}"));
                default:
                    throw new ApiException(ApiErrors.InternalError("list failed: " + page.Status));
            }

            revision = page.Revision;
            if (asStored)
            {
                storedItems.AddRange(page.Items);
            }
            else
            {
                foreach (KeyValue item in page.Items)
                {
                    JsonObject obj = Materialize(item.Key, item.Value, item.ModRevision);
                    if (labels.Matches(obj) && fields.Matches(obj))
                    {
                        items.Add(obj);
                    }
                }
            }

            continueToken = page.Continue;
            if (continueToken is null || (limit > 0 && (asStored ? storedItems.Count : items.Count) >= limit))
            {
                break;
            }
        }

        string listVersion = revision.ToString(CultureInfo.InvariantCulture);
        if (asStored)
        {
            await WriteStoredListAsync(context, target.Definition, storedItems, listVersion, continueToken).ConfigureAwait(false);
        }
        else
        {
            await WriteListAsync(context, target.Definition, items, listVersion, continueToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The resourceVersion semantics of reads (Kubernetes API concepts, "Resource versions"): unset or "0"
    /// read the latest; N means "not older than N", which the latest satisfies unless the store has not
    /// reached N (504 ResourceVersionTooLarge); with <c>resourceVersionMatch=Exact</c> a list is read at
    /// exactly N (410 once compacted). Returns the revision to read at, 0 for the latest.
    /// </summary>
    private long ParseReadRevision(IQueryCollection query, bool allowExact)
    {
        string? resourceVersion = query["resourceVersion"];
        string? match = query["resourceVersionMatch"];
        bool exact = match == "Exact";
        if (!string.IsNullOrEmpty(match) && (!allowExact || match is not ("Exact" or "NotOlderThan")))
        {
            throw new ApiException(ApiErrors.BadRequest($"unsupported resourceVersionMatch: {match}"));
        }

        if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
        {
            if (!string.IsNullOrEmpty(match) && (exact || string.IsNullOrEmpty(resourceVersion)))
            {
                throw new ApiException(ApiErrors.BadRequest($"resourceVersionMatch \"{match}\" needs a non-zero resourceVersion"));
            }

            return 0;
        }

        if (!TryParseRevision(resourceVersion, out long requested))
        {
            throw new ApiException(ApiErrors.BadRequest($"invalid resourceVersion: {resourceVersion}"));
        }

        long current = _store.CurrentRevision;
        if (requested > current)
        {
            throw new ApiException(ApiErrors.TooLargeResourceVersion(requested, current));
        }

        return exact ? requested : 0;
    }

    /// <summary>A <c>{Kind}List</c>, or a Table when the client asked for one.</summary>
    private async Task WriteListAsync(HttpContext context, ResourceDefinition definition, List<JsonObject> items, string listVersion, string? continueToken)
    {
        if (TableWriter.IsRequested(context.Request))
        {
            await WriteTableAsync(context, definition, items, listVersion, continueToken).ConfigureAwait(false);
            return;
        }

        await WriteListBodyAsync(context, definition, listVersion, continueToken, writer =>
        {
            foreach (JsonObject obj in items)
            {
                obj.WriteTo(writer);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>A <c>{Kind}List</c> of stored values, written as stored with their resourceVersion spliced in.</summary>
    private Task WriteStoredListAsync(HttpContext context, ResourceDefinition definition, List<KeyValue> items, string listVersion, string? continueToken)
        => WriteListBodyAsync(context, definition, listVersion, continueToken, writer =>
        {
            foreach (KeyValue item in items)
            {
                StoredJson.Write(writer, Plaintext(item.Key, item.Value), item.ModRevision);
            }
        });

    private static async Task WriteListBodyAsync(HttpContext context, ResourceDefinition definition, string listVersion, string? continueToken, Action<Utf8JsonWriter> writeItems)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = JsonResponses.ContentType;
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", definition.Kind + "List");
            writer.WriteString("apiVersion", definition.ApiVersion);
            writer.WriteStartObject("metadata");
            writer.WriteString("resourceVersion", listVersion);
            if (continueToken is not null)
            {
                writer.WriteString("continue", continueToken);
            }

            writer.WriteEndObject();
            writer.WriteStartArray("items");
            writeItems(writer);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private async Task WriteTableAsync(HttpContext context, ResourceDefinition definition, IEnumerable<JsonObject> objects, string? resourceVersion, string? continueToken)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = TableWriter.ContentType;
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            TableWriter.Write(writer, definition, objects, resourceVersion, continueToken, includeColumns: true, context.Request.Query["includeObject"], _timeProvider.GetUtcNow());
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static (LabelSelector Labels, FieldSelector Fields) ParseSelectors(IQueryCollection query, ResourceDefinition definition)
    {
        if (!LabelSelector.TryParse(query["labelSelector"], out LabelSelector labels, out string? error))
        {
            throw new ApiException(ApiErrors.BadRequest(error!));
        }

        if (!FieldSelector.TryParse(query["fieldSelector"], definition.SelectableFields, out FieldSelector fields, out error))
        {
            throw new ApiException(ApiErrors.BadRequest(error!));
        }

        return (labels, fields);
    }
}
