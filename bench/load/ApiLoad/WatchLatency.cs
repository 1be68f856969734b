using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Appliance.Store;

namespace Appliance.Api.Load;

internal sealed record LatencyResult(string Label, int Events, double P50Milliseconds, double P99Milliseconds, double MaxMilliseconds);

/// <summary>
/// Watch latency: one write at a time, each started once the previous event has arrived (plus a short
/// gap), timed from the write's start to the moment its event is read by the watcher.
/// </summary>
internal static class WatchLatency
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Writes through <paramref name="write"/> (given the event's name) and reads them back from an HTTP watch of <paramref name="ns"/>.</summary>
    public static async Task<LatencyResult> RunHttpWatchAsync(string label, HttpClient watchClient, KeyValueStore store, string ns, string prefix, Func<string, Task> write, int events, TimeSpan spacing, TimeSpan limit)
    {
        var arrivals = new Arrivals(events);
        using var stop = new CancellationTokenSource();
        string path = $"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={store.CurrentRevision}";
        using HttpResponseMessage response = await watchClient.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"watch {ns}: {(int)response.StatusCode}");
        }

        Stream body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        string marker = $"\"name\":\"{prefix}";
        Task reader = Task.Run(async () =>
        {
            using var lines = new StreamReader(body, Encoding.UTF8);
            while (await lines.ReadLineAsync(stop.Token).ConfigureAwait(false) is string line)
            {
                long now = Stopwatch.GetTimestamp();
                int at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at < 0)
                {
                    throw new InvalidOperationException($"unexpected watch event: {line[..Math.Min(200, line.Length)]}");
                }

                int start = at + marker.Length;
                int end = line.IndexOf('"', start);
                arrivals.Arrived(int.Parse(line.AsSpan(start, end - start), CultureInfo.InvariantCulture), now);
            }
        });

        try
        {
            return await RunWritesAsync(label, i => write(prefix + i.ToString(CultureInfo.InvariantCulture)), arrivals, reader, events, spacing, limit).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            response.Dispose();
            await reader.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>Store creates read back by a <see cref="StoreWatcher"/> on their prefix.</summary>
    public static async Task<LatencyResult> RunStoreWatchAsync(string label, KeyValueStore store, string keyPrefix, byte[] value, int events, TimeSpan spacing, TimeSpan limit)
    {
        var arrivals = new Arrivals(events);
        using var stop = new CancellationTokenSource();
        StoreWatcher watcher = store.Watch(keyPrefix, store.CurrentRevision);
        Task reader = Task.Run(async () =>
        {
            using (watcher)
            {
                while (await watcher.WaitToReadAsync(stop.Token).ConfigureAwait(false))
                {
                    while (watcher.TryRead(out WatchEvent? e))
                    {
                        long now = Stopwatch.GetTimestamp();
                        arrivals.Arrived(int.Parse(e.Key.AsSpan(keyPrefix.Length), CultureInfo.InvariantCulture), now);
                    }
                }
            }
        });

        try
        {
            return await RunWritesAsync(label, async i =>
            {
                WriteResult result = await store.CreateAsync(keyPrefix + i.ToString(CultureInfo.InvariantCulture), value).ConfigureAwait(false);
                if (!result.IsOk)
                {
                    throw new InvalidOperationException($"store create: {result.Status}");
                }
            }, arrivals, reader, events, spacing, limit).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reader.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private static async Task<LatencyResult> RunWritesAsync(string label, Func<int, Task> write, Arrivals arrivals, Task reader, int events, TimeSpan spacing, TimeSpan limit)
    {
        // Warm-up: a few writes not counted (JIT, first event on the stream).
        const int warmup = 20;
        var latencies = new List<long>(events);
        long deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        for (int i = 0; i < events + warmup && Stopwatch.GetTimestamp() < deadline; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await write(i).ConfigureAwait(false);
            if (!await arrivals.WaitAsync(EventTimeout).ConfigureAwait(false))
            {
                throw new TimeoutException($"{label}: event {i} did not arrive within {EventTimeout.TotalSeconds} s" + (reader.IsFaulted ? $" ({reader.Exception!.InnerException!.Message})" : ""));
            }

            long arrived = arrivals.Of(i);
            if (arrived == 0)
            {
                throw new InvalidOperationException($"{label}: an event arrived out of order at write {i}");
            }

            if (i >= warmup)
            {
                latencies.Add(arrived - start);
            }

            if (spacing > TimeSpan.Zero)
            {
                await Task.Delay(spacing).ConfigureAwait(false);
            }
        }

        latencies.Sort();
        var result = new LatencyResult(label, latencies.Count, Measure.Percentile(latencies, 0.50), Measure.Percentile(latencies, 0.99), latencies.Count == 0 ? double.NaN : Measure.Milliseconds(latencies[^1]));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"watch    {label,-30} {result.Events} events: p50 {result.P50Milliseconds:0.000} ms  p99 {result.P99Milliseconds:0.000} ms  max {result.MaxMilliseconds:0.000} ms"));
        return result;
    }

    /// <summary>Arrival times by event index, and a count of arrivals to wait on.</summary>
    private sealed class Arrivals(int events)
    {
        private readonly long[] _times = new long[events + 64];
        private readonly SemaphoreSlim _arrived = new(0);

        public void Arrived(int index, long timestamp)
        {
            if (index >= 0 && index < _times.Length)
            {
                Volatile.Write(ref _times[index], timestamp);
            }

            _arrived.Release();
        }

        public Task<bool> WaitAsync(TimeSpan timeout) => _arrived.WaitAsync(timeout);

        public long Of(int index) => Volatile.Read(ref _times[index]);
    }
}
