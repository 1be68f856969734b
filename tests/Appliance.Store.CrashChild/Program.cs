using System.Globalization;
using Appliance.Store;

// Writes keys from several concurrent writers until killed and prints "<key> <revision>" for each write
// only after the store acknowledged it as durable. The parent kills it with SIGKILL mid-stream and then
// checks that every printed write survived.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Appliance.Store.CrashChild <database path> <round>");
    return 2;
}

const int Writers = 8;
string round = args[1];
await using KeyValueStore store = await KeyValueStore.OpenAsync(new StoreOptions
{
    DatabasePath = args[0],
    CompactionInterval = Timeout.InfiniteTimeSpan,
});

var value = new byte[256];
Random.Shared.NextBytes(value);
var tasks = new Task[Writers];
for (int w = 0; w < Writers; w++)
{
    int writer = w;
    tasks[w] = Task.Run(async () =>
    {
        for (int n = 0; ; n++)
        {
            string key = string.Create(CultureInfo.InvariantCulture, $"/registry/crash/r{round}-w{writer}-{n}");
            WriteResult result = await store.CreateAsync(key, value);
            if (!result.IsOk)
            {
                Console.Error.WriteLine($"unexpected {result.Status} for {key}");
                Environment.Exit(3);
            }

            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key} {result.Revision}"));
        }
    });
}

await Task.WhenAll(tasks);
return 0;
