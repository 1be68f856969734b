namespace Appliance.Store;

public sealed partial class KeyValueStore
{
    // Background compaction goes in steps of this many revisions, each its own command in the write
    // queue, so a long backlog (first start on an old file) never holds writers up for long.
    private const long CompactionStep = 10_000;

    private readonly object _compactionLock = new();
    private readonly Queue<(DateTimeOffset Time, long Revision)> _revisionSamples = new();
    private readonly ITimer? _compactionTimer;

    /// <summary>
    /// One background step: remembers which revision was current when, then compacts to the newest
    /// revision that is both older than <see cref="StoreOptions.CompactionMinAge"/> and more than
    /// <see cref="StoreOptions.CompactionMinRevisions"/> behind, so whichever rule keeps more wins.
    /// Returns the target, or 0 if there was nothing to compact.
    /// </summary>
    internal long CompactionTarget()
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        long current = CurrentRevision;
        lock (_compactionLock)
        {
            _revisionSamples.Enqueue((now, current));
            // Samples are in time order; drop all but the newest one that is old enough, which stays at
            // the head as the age bound.
            DateTimeOffset cutoff = now - _options.CompactionMinAge;
            while (_revisionSamples.Count > 1 && ElementAfterHead().Time <= cutoff)
            {
                _revisionSamples.Dequeue();
            }

            (DateTimeOffset oldestTime, long oldestRevision) = _revisionSamples.Peek();
            long byAge = oldestTime <= cutoff ? oldestRevision : 0;
            long target = Math.Min(byAge, current - _options.CompactionMinRevisions);
            return target > CompactRevision ? target : 0;
        }
    }

    private (DateTimeOffset Time, long Revision) ElementAfterHead()
    {
        using Queue<(DateTimeOffset, long)>.Enumerator e = _revisionSamples.GetEnumerator();
        e.MoveNext();
        e.MoveNext();
        return e.Current;
    }

    private ITimer? StartCompactionTimer()
    {
        if (_options.CompactionInterval == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        return _timeProvider.CreateTimer(static state => ((KeyValueStore)state!).CompactInBackground(), this, _options.CompactionInterval, _options.CompactionInterval);
    }

    private async void CompactInBackground()
    {
        long target = 0;
        try
        {
            target = CompactionTarget();
            for (long step = CompactRevision; target > step && _ready;)
            {
                step = Math.Min(step + CompactionStep, target);
                await CompactAsync(step).ConfigureAwait(false);
            }
        }
        catch (Exception error)
        {
            // A timer callback has nobody to throw to; the next tick tries again. A step still queued
            // when the store closes fails with ObjectDisposedException: that is shutdown, not a fault.
            if (_ready)
            {
                Log.CompactionFailed(_logger, target, error);
            }
        }
    }
}
