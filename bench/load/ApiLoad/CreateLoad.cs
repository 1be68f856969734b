using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Appliance.Store;

namespace Appliance.Api.Load;

internal sealed record RateResult(string Target, int Workers, long Operations, double PerSecond, double P50Milliseconds, double P99Milliseconds, double AllocatedBytesPerOperation);

/// <summary>
/// N workers creating fresh objects back to back for a fixed time, every latency recorded: ConfigMaps
/// through HTTP (one keep-alive connection per client) or keys through <see cref="KeyValueStore.CreateAsync"/>.
/// </summary>
internal static class CreateLoad
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    /// <summary>256 bytes of ConfigMap data.</summary>
    public static readonly string Payload = RandomPayload(256);

    private static int _run;

    public static byte[] ConfigMapBody(string name)
        => Encoding.UTF8.GetBytes($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"payload":"{{{Payload}}}"}}""");

    public static async Task CreateConfigMapAsync(HttpClient client, string ns, string name)
    {
        using var content = new ByteArrayContent(ConfigMapBody(name));
        content.Headers.ContentType = JsonType;
        using HttpResponseMessage response = await client.PostAsync(new Uri($"/api/v1/namespaces/{ns}/configmaps", UriKind.Relative), content).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"create {ns}/{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        }
    }

    public static async Task CreateNamespaceAsync(HttpClient client, string name)
    {
        using var content = new StringContent($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await client.PostAsync(new Uri("/api/v1/namespaces", UriKind.Relative), content).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"create namespace {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        }
    }

    public static async Task<RateResult> RunApiAsync(HttpClient[] clients, string ns, TimeSpan duration)
    {
        int run = Interlocked.Increment(ref _run);
        return await RunAsync("API", clients.Length, duration, (worker, n, phase) => CreateConfigMapAsync(clients[worker], ns, $"{phase}{run}-c{worker}-{n}")).ConfigureAwait(false);
    }

    public static async Task<RateResult> RunStoreAsync(KeyValueStore store, int writers, byte[] value, TimeSpan duration)
    {
        int run = Interlocked.Increment(ref _run);
        return await RunAsync("store", writers, duration, async (worker, n, phase) =>
        {
            WriteResult result = await store.CreateAsync($"/registry/storeload/{phase}{run}/w{worker}/k{n}", value).ConfigureAwait(false);
            if (!result.IsOk)
            {
                throw new InvalidOperationException($"store create: {result.Status}");
            }
        }).ConfigureAwait(false);
    }

    private static async Task<RateResult> RunAsync(string target, int workers, TimeSpan duration, Func<int, int, string, Task> create)
    {
        // Warm-up: connections and TLS, JIT, SQLite page cache; not measured.
        await RunWorkersAsync(workers, TimeSpan.FromSeconds(1), create, "warm").ConfigureAwait(false);

        long allocated = Measure.AllocatedBytes();
        var stopwatch = Stopwatch.StartNew();
        List<long>[] latencies = await RunWorkersAsync(workers, duration, create, "run").ConfigureAwait(false);
        double seconds = stopwatch.Elapsed.TotalSeconds;
        allocated = Measure.AllocatedBytes() - allocated;

        var all = latencies.SelectMany(l => l).ToList();
        all.Sort();
        var result = new RateResult(target, workers, all.Count, all.Count / seconds, Measure.Percentile(all, 0.50), Measure.Percentile(all, 0.99), all.Count == 0 ? double.NaN : (double)allocated / all.Count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"creates  {target,-5} clients={workers,-3} {result.Operations,7} in {seconds:0.0} s: {result.PerSecond,8:0}/s  p50 {result.P50Milliseconds:0.00} ms  p99 {result.P99Milliseconds:0.00} ms  {result.AllocatedBytesPerOperation / 1024:0.0} KB/op"));
        return result;
    }

    private static async Task<List<long>[]> RunWorkersAsync(int workers, TimeSpan duration, Func<int, int, string, Task> create, string phase)
    {
        var latencies = new List<long>[workers];
        var tasks = new Task[workers];
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (int w = 0; w < workers; w++)
        {
            int worker = w;
            List<long> mine = latencies[w] = new List<long>(4096);
            tasks[w] = Task.Run(async () =>
            {
                for (int n = 0; Stopwatch.GetTimestamp() < end; n++)
                {
                    long start = Stopwatch.GetTimestamp();
                    await create(worker, n, phase).ConfigureAwait(false);
                    mine.Add(Stopwatch.GetTimestamp() - start);
                }
            });
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        return latencies;
    }

    private static string RandomPayload(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return string.Create(length, 0, static (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
            }
        });
    }
}
