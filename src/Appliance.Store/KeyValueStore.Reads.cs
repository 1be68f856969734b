namespace Appliance.Store;

public sealed partial class KeyValueStore
{
    /// <summary>Reads a key at <paramref name="revision"/> (0: the current revision). Blocks briefly on SQLite.</summary>
    public GetResult Get(string key, long revision = 0)
    {
        if (!KeyRules.IsValidKey(key, _options.MaxKeyLength))
        {
            return new GetResult(StoreStatus.InvalidKey, null, 0);
        }

        long current = CurrentRevision;
        long at = revision == 0 ? current : revision;
        if (at > current)
        {
            return new GetResult(StoreStatus.FutureRevision, null, current);
        }

        ReadSession session = RentReadSession();
        KeyValue? item;
        try
        {
            item = session.Get(key, at);
        }
        finally
        {
            ReturnReadSession(session);
        }

        // Checked after the read: compaction raises the compacted revision before it commits.
        if (at < CompactRevision)
        {
            return new GetResult(StoreStatus.Compacted, null, at);
        }

        return new GetResult(item is null ? StoreStatus.NotFound : StoreStatus.Ok, item, at);
    }

    /// <summary>
    /// Lists live keys under <paramref name="prefix"/> (ending in '/') in key order, at most
    /// <paramref name="limit"/> (0: all) per page. Without a continue token the page is read at
    /// <paramref name="revision"/> (0: current); with one, at the token's revision.
    /// </summary>
    public RangeResult Range(string prefix, int limit = 0, string? continueToken = null, long revision = 0)
    {
        if (!KeyRules.IsValidPrefix(prefix, _options.MaxKeyLength) || limit < 0)
        {
            return new RangeResult(StoreStatus.InvalidKey, [], 0, null);
        }

        long current = CurrentRevision;
        long at = revision == 0 ? current : revision;
        string start = prefix;
        bool exclusive = false;
        if (continueToken is not null)
        {
            if (!ContinueToken.TryParse(continueToken, prefix, out at, out start))
            {
                return new RangeResult(StoreStatus.InvalidContinue, [], 0, null);
            }

            exclusive = true;
        }

        if (at > current)
        {
            return new RangeResult(StoreStatus.FutureRevision, [], current, null);
        }

        // One extra row tells whether another page exists without a count query.
        int fetch = limit == 0 ? -1 : limit + 1;
        var items = new List<KeyValue>(limit is > 0 and <= 1000 ? limit + 1 : 16);
        ReadSession session = RentReadSession();
        try
        {
            session.Range(start, exclusive, KeyRules.RangeEnd(prefix), at, fetch, items);
        }
        finally
        {
            ReturnReadSession(session);
        }

        if (at < CompactRevision)
        {
            return new RangeResult(StoreStatus.Compacted, [], at, null);
        }

        string? next = null;
        if (limit > 0 && items.Count > limit)
        {
            items.RemoveAt(limit);
            next = ContinueToken.Format(at, items[^1].Key);
        }

        return new RangeResult(StoreStatus.Ok, items, at, next);
    }

    /// <summary>
    /// Watches every key under <paramref name="prefix"/> (ending in '/') for events after
    /// <paramref name="afterRevision"/>. If that is below the compacted revision the watcher's
    /// <see cref="StoreWatcher.Status"/> is already <see cref="StoreStatus.Compacted"/>.
    /// </summary>
    public StoreWatcher Watch(string prefix, long afterRevision)
    {
        StoreStatus status = StoreStatus.Ok;
        if (!KeyRules.IsValidPrefix(prefix, _options.MaxKeyLength) || afterRevision < 0)
        {
            status = StoreStatus.InvalidKey;
        }
        else if (afterRevision < CompactRevision)
        {
            status = StoreStatus.Compacted;
        }

        return new StoreWatcher(this, _hub, prefix, afterRevision, status);
    }

    internal void ReadEvents(long after, long upTo, string start, string end, int limit, List<WatchEvent> into)
    {
        ReadSession session = RentReadSession();
        try
        {
            session.Events(after, upTo, start, end, limit, into);
        }
        finally
        {
            ReturnReadSession(session);
        }
    }
}
