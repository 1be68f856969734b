using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Appliance.Store;

/// <summary>
/// A watch on a key prefix: every event after the start revision, in revision order, each once. Read it
/// like a <see cref="System.Threading.Channels.ChannelReader{T}"/>: <see cref="TryRead"/> until false, then
/// <see cref="WaitToReadAsync"/>. When that returns false the watch has ended and <see cref="Status"/> says
/// why; a new watch from <see cref="Revision"/> continues without a gap. One reader at a time.
/// </summary>
/// <remarks>
/// A watcher starts on history from SQLite in pages and switches to the shared in-memory ring once it has
/// caught up. The ring is its bounded queue: if the writer laps it by more than the ring holds, it ends
/// with <see cref="StoreStatus.Lagged"/> rather than holding memory or slowing anyone.
/// </remarks>
public sealed class StoreWatcher : IDisposable
{
    private const int PageSize = 512;

    private readonly KeyValueStore _store;
    private readonly WatchHub _hub;
    private readonly string _prefix;
    private readonly string _end;
    private readonly List<WatchEvent> _page = new(PageSize);
    private int _pageIndex;
    private long _pageEnd;
    private long _cursor;
    private bool _live;
    private volatile bool _disposed;

    internal StoreWatcher(KeyValueStore store, WatchHub hub, string prefix, long afterRevision, StoreStatus status)
    {
        _store = store;
        _hub = hub;
        _prefix = prefix;
        _end = status == StoreStatus.Ok ? KeyRules.RangeEnd(prefix) : prefix;
        _cursor = afterRevision;
        Revision = afterRevision;
        Status = status;

        // A watcher that starts within the ring (or at its head) is live from the first moment, so if it
        // never reads and the writer laps it, it is ended as Lagged instead of quietly going to disk.
        _live = afterRevision >= hub.Revision || hub.TryGet(afterRevision + 1, out _) is not null;
    }

    /// <summary><see cref="StoreStatus.Ok"/> while the watch runs; otherwise why it ended.</summary>
    public StoreStatus Status { get; private set; }

    /// <summary>Every event up to this revision has been delivered: the revision to resume a watch from.</summary>
    public long Revision { get; private set; }

    public bool TryRead([NotNullWhen(true)] out WatchEvent? watchEvent)
    {
        while (Status == StoreStatus.Ok)
        {
            if (_disposed || _hub.IsClosed)
            {
                Status = StoreStatus.Closed;
                break;
            }

            if (_pageIndex < _page.Count)
            {
                watchEvent = _page[_pageIndex++];
                Revision = _pageIndex == _page.Count ? _pageEnd : watchEvent.Revision;
                return true;
            }

            long next = _cursor + 1;
            if (next > _hub.Revision)
            {
                break;
            }

            WatchEvent? e = _hub.TryGet(next, out bool overwritten);
            if (e is not null)
            {
                _live = true;
                _cursor = next;
                Revision = next;
                if (e.Key.StartsWith(_prefix, StringComparison.Ordinal))
                {
                    watchEvent = e;
                    return true;
                }

                continue;
            }

            if (_live && overwritten)
            {
                Status = StoreStatus.Lagged;
                break;
            }

            LoadPage();
        }

        watchEvent = null;
        return false;
    }

    /// <summary>True when an event can be read; false when the watch has ended (see <see cref="Status"/>).</summary>
    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task changed = _hub.Changed;
            if (Status != StoreStatus.Ok)
            {
                return false;
            }

            if (_disposed || _hub.IsClosed)
            {
                Status = StoreStatus.Closed;
                return false;
            }

            if (_pageIndex < _page.Count || _cursor < _hub.Revision)
            {
                return true;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>All events until the watch ends or is cancelled; check <see cref="Status"/> afterwards.</summary>
    public async IAsyncEnumerable<WatchEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryRead(out WatchEvent? e))
            {
                yield return e;
            }
        }
    }

    /// <summary>Ends the watch; a <see cref="WaitToReadAsync"/> in progress returns false.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _hub.Wake();
        }
    }

    private void LoadPage()
    {
        _page.Clear();
        _pageIndex = 0;
        long after = _cursor;
        long upTo = _hub.Revision;
        _store.ReadEvents(after, upTo, _prefix, _end, PageSize, _page);

        // Compaction raises the in-memory compacted revision before it commits, so checking after the
        // read catches a snapshot that may already miss rows in (after, compacted].
        if (after < _store.CompactRevision)
        {
            _page.Clear();
            Status = StoreStatus.Compacted;
            return;
        }

        _pageEnd = _page.Count == PageSize ? _page[^1].Revision : upTo;
        _cursor = _pageEnd;
        if (_page.Count == 0)
        {
            Revision = _pageEnd;
        }
    }
}
