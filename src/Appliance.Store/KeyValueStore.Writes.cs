using Microsoft.Data.Sqlite;

namespace Appliance.Store;

public sealed partial class KeyValueStore
{
    // A batch stops taking writes once their values pass this size: it bounds one transaction's WAL
    // growth and the fsync any single writer waits behind (a few 1.5 MiB objects, or thousands of small).
    private const long MaxBatchBytes = 16 * 1024 * 1024;

    // Owned by the writer loop: the revision of the last committed write.
    private long _lastRevision;
    private long _committedBatches;

    /// <summary>Transactions committed so far; with group commit this grows slower than the writes.</summary>
    internal long CommittedBatches => Volatile.Read(ref _committedBatches);

    /// <summary>
    /// Creates <paramref name="key"/>; <see cref="StoreStatus.AlreadyExists"/> if it exists. Returns once
    /// durable. The store keeps <paramref name="value"/> (watchers get the same array): do not change it afterwards.
    /// </summary>
    public ValueTask<WriteResult> CreateAsync(string key, byte[] value)
        => SubmitKeyWrite(CommandKind.Create, key, value, 0);

    /// <summary>
    /// Replaces the value if the key's mod-revision is <paramref name="expectedRevision"/> (0: any);
    /// otherwise <see cref="StoreStatus.Conflict"/> with the current mod-revision. Returns once durable.
    /// The store keeps <paramref name="value"/>: do not change it afterwards.
    /// </summary>
    public ValueTask<WriteResult> UpdateAsync(string key, byte[] value, long expectedRevision)
        => SubmitKeyWrite(CommandKind.Update, key, value, expectedRevision);

    /// <summary>Deletes if the key's mod-revision is <paramref name="expectedRevision"/> (0: any). Returns once durable.</summary>
    public ValueTask<WriteResult> DeleteAsync(string key, long expectedRevision)
        => SubmitKeyWrite(CommandKind.Delete, key, [], expectedRevision);

    /// <summary>
    /// Drops history at and below <paramref name="revision"/> (the newest version of each live key stays).
    /// <see cref="StoreStatus.Compacted"/> if already compacted that far, <see cref="StoreStatus.FutureRevision"/> if beyond the current revision.
    /// </summary>
    public ValueTask<WriteResult> CompactAsync(long revision)
        => Submit(new StoreCommand(CommandKind.Compact, "", [], revision));

    private ValueTask<WriteResult> SubmitKeyWrite(CommandKind kind, string key, byte[] value, long expectedRevision)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!KeyRules.IsValidKey(key, _options.MaxKeyLength))
        {
            return ValueTask.FromResult(new WriteResult(StoreStatus.InvalidKey, 0));
        }

        if (value.Length > _options.MaxValueBytes)
        {
            return ValueTask.FromResult(new WriteResult(StoreStatus.ValueTooLarge, 0));
        }

        return Submit(new StoreCommand(kind, key, value, expectedRevision));
    }

    private ValueTask<WriteResult> Submit(in StoreCommand command)
    {
        if (!_pendingPool.TryDequeue(out PendingWrite? pending))
        {
            pending = new PendingWrite(_pendingPool);
        }

        pending.Command = command;
        ValueTask<WriteResult> result = pending.AsValueTask();
        if (!_writes.Writer.TryWrite(pending))
        {
            pending.SetException(new ObjectDisposedException(nameof(KeyValueStore)));
        }

        return result;
    }

    private void RunWriter()
    {
        System.Threading.Channels.ChannelReader<PendingWrite> reader = _writes.Reader;
        var batch = new List<PendingWrite>(_options.MaxBatchSize);
        var results = new WriteResult[_options.MaxBatchSize];
        var events = new List<WatchEvent>(_options.MaxBatchSize);
        try
        {
            while (WaitForWrites(reader))
            {
                // Everything that queued up while the previous batch was fsyncing goes into this one:
                // that is the group commit, and it needs no timer.
                long bytes = 0;
                while (batch.Count < _options.MaxBatchSize && bytes < MaxBatchBytes && reader.TryRead(out PendingWrite? pending))
                {
                    batch.Add(pending);
                    bytes += pending.Command.Value.Length;
                }

                bool compacted = CommitBatch(batch, results, events);

                // Before the results, so a compaction the caller awaited has also given its space back.
                if (compacted)
                {
                    ReclaimSpace();
                }

                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i].SetResult(results[i]);
                }

                batch.Clear();
                events.Clear();
            }
        }
        catch (Exception error)
        {
            // Only a bug gets here (CommitBatch contains storage faults). Stop taking writes and fail
            // the queued ones rather than leave callers waiting forever; readiness goes false.
            _ready = false;
            Log.WriterFailed(_logger, error);
            _writes.Writer.TryComplete(error);
            while (reader.TryRead(out PendingWrite? pending))
            {
                pending.SetException(error);
            }
        }
        finally
        {
            _writerStopped.TrySetResult();
        }
    }

    /// <summary>Blocks the writer thread until a write is queued; false once the store is closing and drained.</summary>
    private static bool WaitForWrites(System.Threading.Channels.ChannelReader<PendingWrite> reader)
    {
        ValueTask<bool> ready = reader.WaitToReadAsync();
        return ready.IsCompletedSuccessfully ? ready.Result : ready.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Applies the batch in one transaction. On any fault (disk full, I/O error) every write in it fails
    /// with that exception and nothing changes; the loop goes on, so a transient fault is not fatal.
    /// </summary>
    private bool CommitBatch(List<PendingWrite> batch, WriteResult[] results, List<WatchEvent> events)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        long revision = _lastRevision;
        long compactRevisionBefore = CompactRevision;
        bool compacted = false;
        try
        {
            using (SqliteTransaction transaction = _writer.BeginTransaction())
            {
                _applier.Begin(transaction);
                for (int i = 0; i < batch.Count; i++)
                {
                    StoreCommand command = batch[i].Command;
                    if (command.Kind == CommandKind.Compact)
                    {
                        results[i] = ApplyCompact(command.ExpectedRevision, revision);
                        compacted |= results[i].IsOk;
                        continue;
                    }

                    results[i] = _applier.Apply(command, revision + 1, out WatchEvent? watchEvent);
                    if (watchEvent is not null)
                    {
                        revision++;
                        events.Add(watchEvent);
                    }
                }

                // With WAL and synchronous=FULL the commit returns after the WAL is fsynced: durable.
                transaction.Commit();
            }
        }
        catch (Exception error)
        {
            Volatile.Write(ref _compactRevision, compactRevisionBefore);
            Log.BatchFailed(_logger, batch.Count, error);
            for (int i = 0; i < batch.Count; i++)
            {
                PendingWrite pending = batch[i];
                pending.SetException(error);
            }

            batch.Clear();
            return false;
        }

        _lastRevision = revision;
        Volatile.Write(ref _committedBatches, _committedBatches + 1);
        _metrics.BatchCommitted(batch.Count, started);
        if (events.Count > 0)
        {
            _hub.Publish(events, revision);
        }

        return compacted;
    }

    private WriteResult ApplyCompact(long target, long currentRevision)
    {
        long from = CompactRevision;
        if (target <= from)
        {
            return new WriteResult(StoreStatus.Compacted, from);
        }

        if (target > currentRevision)
        {
            return new WriteResult(StoreStatus.FutureRevision, currentRevision);
        }

        // Raised before the rows go (and restored if the batch fails): a reader that checks after its
        // query can then never miss that its snapshot lost history.
        Volatile.Write(ref _compactRevision, target);
        _applier.Compact(from, target);
        Log.Compacted(_logger, from, target);
        return new WriteResult(StoreStatus.Ok, target);
    }

    /// <summary>Returns the pages compaction freed to the file system (auto_vacuum=INCREMENTAL).</summary>
    private void ReclaimSpace()
    {
        try
        {
            using SqliteCommand vacuum = _writer.CreateCommand();
            vacuum.CommandText = "PRAGMA incremental_vacuum";

            // The pragma frees pages as it is stepped, so step it to the end.
            using SqliteDataReader reader = vacuum.ExecuteReader();
            while (reader.Read())
            {
            }
        }
        catch (SqliteException error)
        {
            Log.VacuumFailed(_logger, error);
        }
    }
}
