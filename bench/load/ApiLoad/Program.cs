using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Api.Load;
using Appliance.Store;

// Usage: ApiLoad [--seconds 3] [--clients 1,16,64] [--list-objects 10000] [--list-repeats 5]
//                [--watch-events 2000] [--watch-spacing-ms 1] [--data DIR]
// Hosts the API in this process (Kestrel on 127.0.0.1:0 over TLS, as the API tests do) and measures, in
// one run and against the same database, the API over HTTP and the store alone: creates, a list of
// 10,000 ConfigMaps, watch latency. Prints one table per workload with API/store ratios.
var settings = LoadSettings.Parse(args);
TimeSpan rowLimit = TimeSpan.FromSeconds(Math.Max(30, settings.Duration.TotalSeconds * 10));
Directory.CreateDirectory(settings.DataDirectory);

await using ApiHost host = await ApiHost.StartAsync(settings.DataDirectory);
KeyValueStore store = host.Store;
HttpClient[] clients = [.. Enumerable.Range(0, settings.Clients.Max()).Select(_ => host.CreateClient())];
try
{
    const string createNs = "load-creates";
    const string listNs = "load-list";
    const string watchNs = "load-watch";
    foreach (string ns in new[] { createNs, listNs, watchNs })
    {
        await CreateLoad.CreateNamespaceAsync(clients[0], ns);
    }

    // The store rows write what the API stores for one of these ConfigMaps: same size, same bytes.
    await CreateLoad.CreateConfigMapAsync(clients[0], createNs, "probe");
    byte[] stored = store.Get($"/registry/core/configmaps/{createNs}/probe").Item!.Value.ToArray();
    Console.WriteLine($"one ConfigMap: {CreateLoad.ConfigMapBody("probe").Length} bytes posted, {stored.Length} bytes stored");

    var api = new List<RateResult>();
    var direct = new List<RateResult>();
    foreach (int n in settings.Clients)
    {
        api.Add(await CreateLoad.RunApiAsync(clients[..n], createNs, settings.Duration));
        direct.Add(await CreateLoad.RunStoreAsync(store, n, stored, settings.Duration));
    }

    await ListLoad.PopulateAsync(clients, listNs, settings.ListObjects, TimeSpan.FromMinutes(5));
    var lists = new List<(ListResult Api, ListResult Store)>();
    foreach (int pageSize in new[] { 0, ListLoad.PageSize })
    {
        lists.Add((await ListLoad.RunApiAsync(clients[0], listNs, settings.ListObjects, pageSize, settings.ListRepeats),
            ListLoad.RunStore(store, listNs, settings.ListObjects, pageSize, settings.ListRepeats)));
    }

    HttpClient watcher = clients.Length > 1 ? clients[^1] : host.CreateClient();
    LatencyResult httpToHttp = await WatchLatency.RunHttpWatchAsync("HTTP create -> HTTP watch", watcher, store, watchNs, "h-",
        name => CreateLoad.CreateConfigMapAsync(clients[0], watchNs, name), settings.WatchEvents, settings.WatchSpacing, rowLimit);
    byte[][] objects = [.. Enumerable.Range(0, settings.WatchEvents + 64).Select(i => ConfigMapLike(stored, watchNs, "s-" + i.ToString(CultureInfo.InvariantCulture)))];
    LatencyResult storeToHttp = await WatchLatency.RunHttpWatchAsync("store create -> HTTP watch", watcher, store, watchNs, "s-",
        async name =>
        {
            WriteResult result = await store.CreateAsync($"/registry/core/configmaps/{watchNs}/{name}", objects[int.Parse(name.AsSpan(2), CultureInfo.InvariantCulture)]);
            if (!result.IsOk)
            {
                throw new InvalidOperationException($"store create {name}: {result.Status}");
            }
        }, settings.WatchEvents, settings.WatchSpacing, rowLimit);
    LatencyResult storeToStore = await WatchLatency.RunStoreWatchAsync("store create -> StoreWatcher", store, "/registry/storewatch/", stored, settings.WatchEvents, settings.WatchSpacing, rowLimit);

    Console.WriteLine();
    Console.WriteLine("API over HTTPS (in-process Kestrel, TLS, bearer token, RBAC) vs the store alone: same process, same database, same run.");
    Console.WriteLine($"{Environment.ProcessorCount} cores; load average at the end (1, 5, 15 min): {LoadAverage()}; the clients run in this process too.");
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Creates: ConfigMaps with 256 bytes of data over HTTP/1.1 keep-alive (one connection per client) vs store creates of the same {stored.Length}-byte value by as many writers; {settings.Duration.TotalSeconds:0.#} s per row after 1 s warm-up"));
    Console.WriteLine("clients |   API c/s   p50 ms   p99 ms  KB/op | store w/s   p50 ms   p99 ms  KB/op | rate ratio  p50 ratio  p99 ratio");
    for (int i = 0; i < api.Count; i++)
    {
        RateResult a = api[i];
        RateResult s = direct[i];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{a.Workers,7} | {a.PerSecond,9:0} {a.P50Milliseconds,8:0.00} {a.P99Milliseconds,8:0.00} {a.AllocatedBytesPerOperation / 1024,6:0.0} | {s.PerSecond,9:0} {s.P50Milliseconds,8:0.00} {s.P99Milliseconds,8:0.00} {s.AllocatedBytesPerOperation / 1024,6:0.0} | {a.PerSecond / s.PerSecond,10:0.00} {a.P50Milliseconds / s.P50Milliseconds,10:0.00} {a.P99Milliseconds / s.P99Milliseconds,10:0.00}"));
    }

    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"List of {settings.ListObjects:N0} ConfigMaps (median of {settings.ListRepeats}; allocated = whole process during the call) vs KeyValueStore.Range of the same keys"));
    Console.WriteLine("shape          |   API ms  API MB alloc  JSON MB | store ms  store MB alloc | ms ratio  alloc ratio");
    foreach ((ListResult a, ListResult s) in lists)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{a.Shape,-14} | {a.Milliseconds,8:0.0} {a.AllocatedBytes / (1 << 20),13:0.0} {a.ResponseBytes / (double)(1 << 20),8:0.0} | {s.Milliseconds,8:0.0} {s.AllocatedBytes / (1 << 20),15:0.0} | {a.Milliseconds / s.Milliseconds,8:0.0} {a.AllocatedBytes / s.AllocatedBytes,12:0.0}"));
    }

    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Watch latency, write start -> event read by the watcher; one write at a time, {settings.WatchSpacing.TotalMilliseconds:0.#} ms apart, {settings.WatchEvents} writes per row"));
    Console.WriteLine("path                           |   p50 ms   p99 ms   max ms | p50 ratio  p99 ratio (vs store -> StoreWatcher)");
    foreach (LatencyResult r in new[] { httpToHttp, storeToHttp, storeToStore })
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{r.Label,-30} | {r.P50Milliseconds,8:0.000} {r.P99Milliseconds,8:0.000} {r.MaxMilliseconds,8:0.000} | {r.P50Milliseconds / storeToStore.P50Milliseconds,9:0.0} {r.P99Milliseconds / storeToStore.P99Milliseconds,10:0.0}"));
    }
}
finally
{
    foreach (HttpClient client in clients)
    {
        client.Dispose();
    }
}

return 0;

static string LoadAverage()
{
    try
    {
        return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
    }
    catch (IOException)
    {
        return "unknown";
    }
}

// A ConfigMap as the API stores it, renamed: fed to the store directly, read back through the API's watch.
static byte[] ConfigMapLike(byte[] stored, string ns, string name)
{
    JsonNode node = JsonNode.Parse(stored)!;
    node["metadata"]!["name"] = name;
    node["metadata"]!["namespace"] = ns;
    node["metadata"]!["uid"] = Guid.NewGuid().ToString();
    return System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());
}
