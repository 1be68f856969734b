using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Store;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

public sealed partial class ResourceEngine
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    /// <summary>
    /// <c>?watch=1</c>: a chunked stream of WatchEvent JSON lines. With a resourceVersion the stream
    /// carries every change after it; without one (or "0") it starts with an ADDED event per existing
    /// object, then every change after that snapshot (the "get state and start at most recent" rule).
    /// A resourceVersion older than the compacted history, or a watcher that falls too far behind,
    /// ends the stream with an ERROR event carrying a 410 Expired Status: the client relists.
    /// </summary>
    private async Task WatchAsync(HttpContext context, RequestTarget target)
    {
        IQueryCollection query = context.Request.Query;
        (LabelSelector labels, FieldSelector fields) = ParseSelectors(query, target.Definition);
        TimeSpan timeout = _options.DefaultWatchTimeout;
        string? timeoutText = query["timeoutSeconds"];
        if (!string.IsNullOrEmpty(timeoutText))
        {
            if (!int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
            {
                throw new ApiException(ApiErrors.BadRequest($"invalid timeoutSeconds: {timeoutText}"));
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }

        string prefix = target.Definition.ListPrefix(target.Namespace);
        string? resourceVersion = query["resourceVersion"];
        IReadOnlyList<KeyValue> initial = [];
        long after;
        if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
        {
            RangeResult snapshot = _store.Range(prefix);
            initial = snapshot.Items;
            after = snapshot.Revision;
        }
        else if (!TryParseRevision(resourceVersion, out after))
        {
            throw new ApiException(ApiErrors.BadRequest($"invalid resourceVersion: {resourceVersion}"));
        }

        using StoreWatcher watcher = _store.Watch(prefix, after);
        using var timeoutSource = new CancellationTokenSource(timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, context.RequestAborted, _stopping);
        CancellationToken cancellationToken = linked.Token;

        bool selective = labels.Requirements.Count > 0 || fields.Requirements.Count > 0;
        bool table = TableWriter.IsRequested(context.Request);
        bool bookmarks = IsTrue(query["allowWatchBookmarks"]) && !table;
        // Without selectors or a Table, every event goes out as stored (StoredJson): no parse per watcher.
        bool asStored = !selective && !table;
        string? includeObject = query["includeObject"];
        bool columnsWritten = false;
        void Write(Utf8JsonWriter writer, string type, JsonObject obj)
        {
            // A Table watch carries a one-row Table per event; only the first has the column definitions.
            WriteEvent(writer, context.Response.BodyWriter, type, table ? tableWriter =>
            {
                TableWriter.Write(tableWriter, target.Definition, [obj], null, null, !columnsWritten, includeObject, _timeProvider.GetUtcNow());
                columnsWritten = true;
            }
            : w => obj.WriteTo(w));
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = table ? TableWriter.ContentType : JsonResponses.ContentType;
        await context.Response.StartAsync(cancellationToken).ConfigureAwait(false);

        var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        await using (writer.ConfigureAwait(false))
        {
            try
            {
                foreach (KeyValue item in initial)
                {
                    if (asStored)
                    {
                        WriteStoredEvent(writer, context.Response.BodyWriter, "ADDED", Plaintext(item.Key, item.Value), item.ModRevision);
                        continue;
                    }

                    JsonObject obj = Materialize(item.Key, item.Value, item.ModRevision);
                    if (labels.Matches(obj) && fields.Matches(obj))
                    {
                        Write(writer, "ADDED", obj);
                    }
                }

                await context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
                while (await WaitOrBookmarkAsync(watcher, bookmarks, writer, context, target.Definition, cancellationToken).ConfigureAwait(false))
                {
                    while (watcher.TryRead(out WatchEvent? change))
                    {
                        if (asStored)
                        {
                            string storedType = change.Type == WatchEventType.Delete ? "DELETED" : change.PrevRevision == 0 ? "ADDED" : "MODIFIED";
                            WriteStoredEvent(writer, context.Response.BodyWriter, storedType, Plaintext(change.Key, change.Value), change.Revision);
                            continue;
                        }

                        JsonObject obj = Materialize(change.Key, change.Value, change.Revision);
                        string? type = EventType(change, selective, labels, fields, ref obj);
                        if (type is not null)
                        {
                            Write(writer, type, obj);
                        }
                    }

                    // One flush per batch of events read, not per event.
                    await context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
                }

                Log.WatchEnded(_logger, prefix, watcher.Revision, watcher.Status.ToString());
                if (watcher.Status is StoreStatus.Compacted or StoreStatus.Lagged)
                {
                    // Lagged: the client fell a whole in-memory window behind; it must relist like after compaction.
                    ApiStatus expired = ApiErrors.Expired($"too old resource version: {watcher.Revision} ({_store.CompactRevision})");
                    writer.Reset(context.Response.BodyWriter);
                    writer.WriteStartObject();
                    writer.WriteString("type", "ERROR");
                    writer.WritePropertyName("object");
                    JsonSerializer.Serialize(writer, expired, ApiJsonContext.Default.ApiStatus);
                    writer.WriteEndObject();
                    writer.Flush();
                    context.Response.BodyWriter.Write(NewLine);
                    await context.Response.BodyWriter.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // timeoutSeconds elapsed or the client went away: the stream simply ends.
            }
        }
    }

    /// <summary>
    /// The watch event type for a selector watch, or null to skip the change. As kube-apiserver's
    /// watch cache does, an update is judged against both states: an object that starts matching is
    /// ADDED, one that stops matching is DELETED (carrying its previous state at the new revision), so a
    /// client's cache of "objects matching the selector" stays exact.
    /// </summary>
    private string? EventType(WatchEvent change, bool selective, LabelSelector labels, FieldSelector fields, ref JsonObject obj)
    {
        bool now = !selective || (labels.Matches(obj) && fields.Matches(obj));
        if (change.Type == WatchEventType.Delete)
        {
            return now ? "DELETED" : null;
        }

        if (change.PrevRevision == 0)
        {
            return now ? "ADDED" : null;
        }

        if (!selective)
        {
            return "MODIFIED";
        }

        GetResult previous = _store.Get(change.Key, change.PrevRevision);
        if (previous.Status != StoreStatus.Ok)
        {
            // The old state is compacted away: judge on the new state alone.
            return now ? "MODIFIED" : null;
        }

        JsonObject old = Materialize(previous.Item!.Key, previous.Item.Value, change.Revision);
        bool before = labels.Matches(old) && fields.Matches(old);
        if (before && !now)
        {
            obj = old;
            return "DELETED";
        }

        return now ? (before ? "MODIFIED" : "ADDED") : null;
    }

    /// <summary>
    /// Waits for events; while none come and bookmarks are allowed, writes a BOOKMARK every
    /// <see cref="ApiOptions.WatchBookmarkInterval"/> with the revision everything is delivered up to.
    /// </summary>
    private async Task<bool> WaitOrBookmarkAsync(StoreWatcher watcher, bool bookmarks, Utf8JsonWriter writer, HttpContext context, ResourceDefinition definition, CancellationToken cancellationToken)
    {
        while (bookmarks)
        {
            using var tick = new CancellationTokenSource(_options.WatchBookmarkInterval, _timeProvider);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, tick.Token);
            try
            {
                return await watcher.WaitToReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                var bookmark = new JsonObject
                {
                    ["kind"] = definition.Kind,
                    ["apiVersion"] = definition.ApiVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = watcher.Revision.ToString(CultureInfo.InvariantCulture) },
                };
                WriteEvent(writer, context.Response.BodyWriter, "BOOKMARK", w => bookmark.WriteTo(w));
                await context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return await watcher.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void WriteStoredEvent(Utf8JsonWriter writer, System.IO.Pipelines.PipeWriter output, string type, byte[] json, long revision)
    {
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WritePropertyName("object");
        StoredJson.Write(writer, json, revision);
        writer.WriteEndObject();
        writer.Flush();
        output.Write(NewLine);
    }

    private static void WriteEvent(Utf8JsonWriter writer, System.IO.Pipelines.PipeWriter output, string type, Action<Utf8JsonWriter> writeObject)
    {
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WritePropertyName("object");
        writeObject(writer);
        writer.WriteEndObject();
        writer.Flush();
        output.Write(NewLine);
    }
}
