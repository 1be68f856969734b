namespace Appliance.Store;

/// <summary>
/// The in-memory tail of the log that watchers read from. The writer publishes each committed batch in
/// O(events), independent of the number of watchers: every watcher pulls from the ring at its own pace,
/// so a watcher that never reads costs writers nothing. Slot i holds the event of a revision r with
/// r mod capacity = i; a slot holding a newer revision means the older one has been overwritten.
/// </summary>
internal sealed class WatchHub
{
    private readonly WatchEvent?[] _ring;
    private readonly long _mask;
    private long _revision;
    private TaskCompletionSource _changed = NewSignal();
    private volatile bool _closed;

    public WatchHub(int capacity, long revision)
    {
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _ring = new WatchEvent?[size];
        _mask = size - 1;
        _revision = revision;
    }

    /// <summary>The newest committed (durable) revision.</summary>
    public long Revision => Volatile.Read(ref _revision);

    public bool IsClosed => _closed;

    /// <summary>Completes when a batch is published or the hub closes; take it, then re-check state.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>Called by the single writer after the batch's commit (and fsync) returned.</summary>
    public void Publish(List<WatchEvent> events, long revision)
    {
        for (int i = 0; i < events.Count; i++)
        {
            WatchEvent e = events[i];
            Volatile.Write(ref _ring[e.Revision & _mask], e);
        }

        // Slots first, then the revision: a reader that sees the revision finds its events.
        Volatile.Write(ref _revision, revision);
        Signal();
    }

    /// <summary>The event of <paramref name="revision"/> if it is still in the ring.</summary>
    public WatchEvent? TryGet(long revision, out bool overwritten)
    {
        WatchEvent? e = Volatile.Read(ref _ring[revision & _mask]);
        overwritten = e is not null && e.Revision > revision;
        return e is not null && e.Revision == revision ? e : null;
    }

    /// <summary>
    /// Wakes every waiting watcher to re-check its state: used when one is disposed. Disposals are rare
    /// next to writes, and one shared signal keeps waiting free of per-watcher allocations.
    /// </summary>
    public void Wake() => Signal();

    public void Close()
    {
        _closed = true;
        Signal();
    }

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
