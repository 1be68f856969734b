using System.Diagnostics;

namespace Appliance.Store.Load;

/// <summary>N writers creating fresh keys back to back for a fixed time; every latency is recorded.</summary>
internal static class WriteLoad
{
    private static int _run;

    public static async Task<LoadResult> RunAsync(ILoadTarget target, int writers, TimeSpan duration)
    {
        int run = Interlocked.Increment(ref _run);
        byte[] value = new byte[256];
        Random.Shared.NextBytes(value);

        // Warm-up: connections, JIT, SQLite page cache; not measured.
        await RunWritersAsync(target, writers, TimeSpan.FromSeconds(1), $"/registry/load/warm{run}", value);

        var stopwatch = Stopwatch.StartNew();
        List<long>[] latencies = await RunWritersAsync(target, writers, duration, $"/registry/load/run{run}", value);
        double seconds = stopwatch.Elapsed.TotalSeconds;

        var all = new List<long>();
        foreach (List<long> l in latencies)
        {
            all.AddRange(l);
        }

        all.Sort();
        var result = new LoadResult(target.Name, writers, all.Count / seconds, Percentile(all, 0.50), Percentile(all, 0.99));
        Console.WriteLine($"{result.Target,-5} writers={writers,-3} {result.WritesPerSecond,8:0} w/s  p50 {result.P50Milliseconds:0.00} ms  p99 {result.P99Milliseconds:0.00} ms");
        return result;
    }

    private static async Task<List<long>[]> RunWritersAsync(ILoadTarget target, int writers, TimeSpan duration, string prefix, byte[] value)
    {
        var latencies = new List<long>[writers];
        var tasks = new Task[writers];
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (int w = 0; w < writers; w++)
        {
            var mine = latencies[w] = new List<long>(4096);
            string keyPrefix = $"{prefix}/w{w}/k";
            tasks[w] = Task.Run(async () =>
            {
                for (int n = 0; Stopwatch.GetTimestamp() < end; n++)
                {
                    long start = Stopwatch.GetTimestamp();
                    await target.CreateAsync(keyPrefix + n, value).ConfigureAwait(false);
                    mine.Add(Stopwatch.GetTimestamp() - start);
                }
            });
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        return latencies;
    }

    private static double Percentile(List<long> sorted, double p)
        => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))] * 1000.0 / Stopwatch.Frequency;
}
