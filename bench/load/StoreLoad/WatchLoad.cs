using System.Diagnostics;

namespace Appliance.Store.Load;

/// <summary>
/// Watch fan-out: W watchers on the whole keyspace, each read by its own task, while 256 writers
/// create E keys. Elapsed runs from the first write until the last watcher has seen the last event,
/// so it is bounded below by the write rate: both are printed.
/// </summary>
internal static class WatchLoad
{
    private const int Writers = 256;

    public static async Task<WatchResult> RunAsync(KeyValueStore store, int watchers, int events)
    {
        long from = store.CurrentRevision;
        long last = from + events;
        long deliveries = 0;
        int lagged = 0;
        var readers = new Task[watchers];
        for (int i = 0; i < watchers; i++)
        {
            StoreWatcher watcher = store.Watch("/registry/", from);
            readers[i] = Task.Run(async () =>
            {
                long seen = 0;
                using (watcher)
                {
                    while (watcher.Revision < last && await watcher.WaitToReadAsync().ConfigureAwait(false))
                    {
                        while (watcher.TryRead(out _))
                        {
                            seen++;
                        }
                    }

                    if (watcher.Status == StoreStatus.Lagged)
                    {
                        Interlocked.Increment(ref lagged);
                    }
                }

                Interlocked.Add(ref deliveries, seen);
            });
        }

        byte[] value = new byte[256];
        var stopwatch = Stopwatch.StartNew();
        int next = -1;
        var writers = new Task[Writers];
        for (int w = 0; w < Writers; w++)
        {
            writers[w] = Task.Run(async () =>
            {
                for (int n = Interlocked.Increment(ref next); n < events; n = Interlocked.Increment(ref next))
                {
                    await store.CreateAsync($"/registry/watchload/k{n}", value).ConfigureAwait(false);
                }
            });
        }

        await Task.WhenAll(writers).ConfigureAwait(false);
        double writeSeconds = stopwatch.Elapsed.TotalSeconds;
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        return new WatchResult(watchers, events, stopwatch.Elapsed, events / writeSeconds, deliveries, lagged);
    }
}
