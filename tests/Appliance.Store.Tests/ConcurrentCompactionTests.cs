using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Appliance.Store.Tests;

/// <summary>Reads racing writers and aggressive compaction: every answer is either right or Compacted.</summary>
public sealed class ConcurrentCompactionTests(ITestOutputHelper output) : StoreTestBase
{
    private const int Writers = 8;
    private const int KeysPerWriter = 5;
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(2);

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task ReadsDuringCompaction_AreConsistentSnapshotsOrCompacted()
    {
        // Every acknowledged write: (key, revision) -> value.
        var written = new ConcurrentDictionary<(string, long), string>();
        var observed = new ConcurrentBag<(string Key, long At, long ModRevision, string Value)>();
        var created = new long[Writers, KeysPerWriter];
        for (int w = 0; w < Writers; w++)
        {
            for (int k = 0; k < KeysPerWriter; k++)
            {
                created[w, k] = await CreateAsync(Key(w, k), "0");
                written[(Key(w, k), created[w, k])] = "0";
            }
        }

        var statuses = new ConcurrentQueue<StoreStatus>();
        var stopwatch = Stopwatch.StartNew();
        int compacted = 0;
        int rangesChecked = 0;

        var tasks = new List<Task>();
        for (int w = 0; w < Writers; w++)
        {
            int writer = w;
            tasks.Add(Task.Run(async () =>
            {
                var revisions = new long[KeysPerWriter];
                for (int k = 0; k < KeysPerWriter; k++)
                {
                    revisions[k] = created[writer, k];
                }

                for (int n = 1; stopwatch.Elapsed < RunFor; n++)
                {
                    int k = n % KeysPerWriter;
                    string value = n.ToString(CultureInfo.InvariantCulture);
                    WriteResult result = await Store.UpdateAsync(Key(writer, k), Bytes(value), revisions[k]);
                    Assert.Equal(StoreStatus.Ok, result.Status);
                    revisions[k] = result.Revision;
                    written[(Key(writer, k), result.Revision)] = value;
                }
            }));
        }

        tasks.Add(Task.Run(async () =>
        {
            while (stopwatch.Elapsed < RunFor)
            {
                long target = Store.CurrentRevision - 50;
                if (target > Store.CompactRevision)
                {
                    WriteResult result = await Store.CompactAsync(target);
                    statuses.Enqueue(result.Status);
                }

                // Paces the compactor (a few hundred compactions a second), not a wait for a condition.
                await Task.Delay(2);
            }
        }));

        for (int r = 0; r < 2; r++)
        {
            int seed = r;

            // Own threads: two spinning readers on pool threads would starve the writers' continuations.
            tasks.Add(Task.Factory.StartNew(() =>
            {
                var random = new Random(seed);
                while (stopwatch.Elapsed < RunFor)
                {
                    // A point read a little in the past: right value or Compacted, never a wrong one.
                    long at = Math.Max(Writers * KeysPerWriter, Store.CurrentRevision - random.Next(0, 100));
                    string key = Key(random.Next(Writers), random.Next(KeysPerWriter));
                    GetResult got = Store.Get(key, at);
                    if (got.Status == StoreStatus.Compacted)
                    {
                        Interlocked.Increment(ref compacted);
                    }
                    else
                    {
                        // Every key exists at every revision read here, so NotFound would be a lost row.
                        Assert.True(got.Status == StoreStatus.Ok, $"{key} at {at}: {got.Status}");
                        observed.Add((key, at, got.Item!.ModRevision, Text(got.Item.Value)));
                    }

                    // A current range: one snapshot with every key, nothing newer than its revision. With
                    // compaction only 50 revisions behind it may be overtaken while it reads: Compacted.
                    RangeResult range = Store.Range("/registry/cc/");
                    if (range.Status == StoreStatus.Compacted)
                    {
                        Interlocked.Increment(ref compacted);
                        continue;
                    }

                    Assert.Equal(StoreStatus.Ok, range.Status);
                    Assert.Equal(Writers * KeysPerWriter, range.Items.Count);
                    foreach (KeyValue item in range.Items)
                    {
                        Assert.True(item.ModRevision <= range.Revision, $"{item.Key} mod {item.ModRevision} create {item.CreateRevision} in range at {range.Revision}, compacted {Store.CompactRevision}");
                    }

                    Interlocked.Increment(ref rangesChecked);
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }

        await Task.WhenAll(tasks).WaitAsync(Timeout);

        Assert.True(Store.CompactRevision > 0, $"current {Store.CurrentRevision}, compactions: {statuses.Count}");
        Assert.True(rangesChecked > 0);
        var revisionsByKey = new Dictionary<string, List<long>>();
        foreach ((string key, long revision) in written.Keys)
        {
            if (!revisionsByKey.TryGetValue(key, out List<long>? list))
            {
                revisionsByKey[key] = list = [];
            }

            list.Add(revision);
        }

        foreach (List<long> list in revisionsByKey.Values)
        {
            list.Sort();
        }

        Assert.NotEmpty(observed);
        foreach ((string key, long at, long modRevision, string value) in observed)
        {
            // The newest acknowledged write of the key at or below the read revision.
            List<long> revisions = revisionsByKey[key];
            int index = revisions.BinarySearch(at);
            long expected = index >= 0 ? revisions[index] : revisions[~index - 1];
            Assert.True(expected == modRevision, $"{key} at {at}: read mod-revision {modRevision}, expected {expected}");
            Assert.Equal(written[(key, modRevision)], value);
        }

        output.WriteLine($"{Store.CurrentRevision} revisions, compacted to {Store.CompactRevision} in {statuses.Count} steps; {observed.Count} point reads checked, {compacted} compacted, {rangesChecked} ranges");
    }

    private static string Key(int writer, int key) => $"/registry/cc/w{writer}/k{key}";
}
