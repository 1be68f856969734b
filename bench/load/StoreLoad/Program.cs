using System.Globalization;
using Appliance.Store;
using Appliance.Store.Load;

// Usage: StoreLoad [--seconds 10] [--writers 1,16,64] [--etcd http://127.0.0.1:23790] [--data DIR]
//                  [--watchers 1000] [--watch-events 20000]
// Runs the durable-write workload against our store (and etcd when --etcd is given), then the watch
// fan-out workload against our store, and prints one table per workload.
var settings = LoadSettings.Parse(args);
Directory.CreateDirectory(settings.DataDirectory);

var ours = new List<LoadResult>();
var etcd = new List<LoadResult>();
foreach (int writers in settings.Writers)
{
    string path = Path.Combine(settings.DataDirectory, $"store-{writers}.db");
    await using (KeyValueStore store = await KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = path }))
    {
        ours.Add(await WriteLoad.RunAsync(new StoreTarget(store), writers, settings.Duration));
    }

    if (settings.EtcdEndpoint is not null)
    {
        using var target = new EtcdTarget(settings.EtcdEndpoint);
        etcd.Add(await WriteLoad.RunAsync(target, writers, settings.Duration));
    }
}

Console.WriteLine();
Console.WriteLine($"Durable creates, 256-byte values, {settings.Duration.TotalSeconds:0} s per row");
Console.WriteLine("writers |   ours w/s   p50 ms   p99 ms |   etcd w/s   p50 ms   p99 ms | w/s ratio  p99 ratio");
for (int i = 0; i < ours.Count; i++)
{
    LoadResult o = ours[i];
    string line = string.Create(CultureInfo.InvariantCulture, $"{o.Writers,7} | {o.WritesPerSecond,10:0} {o.P50Milliseconds,8:0.00} {o.P99Milliseconds,8:0.00} |");
    if (i < etcd.Count)
    {
        LoadResult e = etcd[i];
        line += string.Create(CultureInfo.InvariantCulture, $" {e.WritesPerSecond,10:0} {e.P50Milliseconds,8:0.00} {e.P99Milliseconds,8:0.00} | {o.WritesPerSecond / e.WritesPerSecond,9:0.00} {o.P99Milliseconds / e.P99Milliseconds,10:0.00}");
    }

    Console.WriteLine(line);
}

if (settings.Watchers > 0)
{
    string path = Path.Combine(settings.DataDirectory, "watch.db");
    await using KeyValueStore store = await KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = path, WatchWindow = 1 << 17 });
    WatchResult result = await WatchLoad.RunAsync(store, settings.Watchers, settings.WatchEvents);
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Watch fan-out: {result.Events} events to {result.Watchers} watchers in {result.Elapsed.TotalSeconds:0.00} s: written at {result.WritesPerSecond:0} events/s, every watcher had all of them at {result.EventsPerSecondPerWatcher:0} events/s each ({result.Deliveries / result.Elapsed.TotalSeconds / 1e6:0.0} M deliveries/s); lagged watchers: {result.Lagged}"));
}

return 0;
