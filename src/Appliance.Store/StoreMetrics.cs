using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Appliance.Store;

/// <summary>
/// The store's instruments on the "Appliance.Store" meter, for the host's /metrics. Recorded once per
/// batch, not per write, so the write path pays nothing when nobody listens.
/// </summary>
internal sealed class StoreMetrics : IDisposable
{
    public const string MeterName = "Appliance.Store";

    private readonly Meter _meter;
    private readonly Counter<long> _writes;
    private readonly Counter<long> _batches;
    private readonly Histogram<double> _commitSeconds;

    public StoreMetrics(KeyValueStore store, string databasePath)
    {
        // Tagged with the file so two stores in one process (tests, a migration) stay apart.
        _meter = new Meter(new MeterOptions(MeterName) { Tags = [new("appliance.store.path", databasePath)] });
        _writes = _meter.CreateCounter<long>("appliance.store.writes", "{write}", "Writes applied, successful or not.");
        _batches = _meter.CreateCounter<long>("appliance.store.batches", "{transaction}", "Group-commit transactions (one fsync each).");
        _commitSeconds = _meter.CreateHistogram<double>("appliance.store.commit.duration", "s", "Time to apply and fsync one batch.");
        _meter.CreateObservableGauge("appliance.store.revision", () => store.CurrentRevision, "{revision}", "Newest durable revision.");
        _meter.CreateObservableGauge("appliance.store.compact_revision", () => store.CompactRevision, "{revision}", "Revision history is compacted to.");
    }

    public void BatchCommitted(int writes, long startTimestamp)
    {
        if (_writes.Enabled)
        {
            _writes.Add(writes);
        }

        if (_batches.Enabled)
        {
            _batches.Add(1);
        }

        if (_commitSeconds.Enabled)
        {
            _commitSeconds.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
        }
    }

    public void Dispose() => _meter.Dispose();
}
