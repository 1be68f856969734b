using System.Globalization;
using Appliance.Store;

// Writes from several concurrent writers until killed: each key is created, updated (compare-and-swap)
// and deleted (compare-and-swap). After the store acknowledges a write as durable it prints
// "<C|U|D> <key> <revision> ok" (the "ok" shows the line was not cut short by the kill). The parent kills it with SIGKILL mid-stream and then checks, through
// the store's history, that every printed write is there at exactly its revision.
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
            WriteResult created = Check(await store.CreateAsync(key, value), key);
            Acknowledge('C', key, created.Revision);
            WriteResult updated = Check(await store.UpdateAsync(key, value, created.Revision), key);
            Acknowledge('U', key, updated.Revision);
            WriteResult deleted = Check(await store.DeleteAsync(key, updated.Revision), key);
            Acknowledge('D', key, deleted.Revision);
        }
    });
}

await Task.WhenAll(tasks);
return 0;

static WriteResult Check(WriteResult result, string key)
{
    if (!result.IsOk)
    {
        Console.Error.WriteLine($"unexpected {result.Status} for {key}");
        Environment.Exit(3);
    }

    return result;
}

static void Acknowledge(char operation, string key, long revision)
    => Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{operation} {key} {revision} ok"));
