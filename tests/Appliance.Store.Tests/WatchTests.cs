namespace Appliance.Store.Tests;

public sealed class WatchTests : StoreTestBase
{
    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watchers_UnderConcurrentWriters_GetEveryRevisionExactlyOnceInOrder()
    {
        const int Writers = 16;
        const int PerWriter = 30;
        const int PerPhase = Writers * PerWriter * 2;

        // Phase 1 is history on disk only: after the reopen the in-memory ring starts empty, so every
        // watcher from 0 reads pages from SQLite and must hand over to the ring while phase 2 writes.
        await WriteConcurrentlyAsync("p1", Writers, PerWriter);
        await ReopenAsync();
        var watchers = new List<StoreWatcher> { Store.Watch("/registry/", 0), Store.Watch("/registry/", 0) };
        var collectors = new List<Task<List<WatchEvent>>>();
        foreach (StoreWatcher w in watchers)
        {
            collectors.Add(CollectAsync(w, 2 * PerPhase));
        }

        Task phase2 = WriteConcurrentlyAsync("p2", Writers, PerWriter);
        while (Store.CurrentRevision < PerPhase + (PerPhase / 3) && !phase2.IsCompleted)
        {
            await Task.Yield();
        }

        StoreWatcher late = Store.Watch("/registry/", 0);
        watchers.Add(late);
        collectors.Add(CollectAsync(late, 2 * PerPhase));

        await phase2.WaitAsync(Timeout);
        foreach (Task<List<WatchEvent>> collector in collectors)
        {
            List<WatchEvent> events = await collector.WaitAsync(Timeout);
            Assert.Equal(2 * PerPhase, events.Count);
            for (int i = 0; i < events.Count; i++)
            {
                Assert.Equal(i + 1, events[i].Revision);
            }
        }

        foreach (StoreWatcher w in watchers)
        {
            w.Dispose();
        }
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watch_FromRevision_DeliversOnlyLaterEvents()
    {
        await CreateAsync("/registry/pods/default/a", "1");
        long second = await CreateAsync("/registry/pods/default/b", "2");
        await CreateAsync("/registry/pods/default/c", "3");
        using StoreWatcher watcher = Store.Watch("/registry/pods/", second);

        List<WatchEvent> events = await CollectAsync(watcher, 3);

        WatchEvent only = Assert.Single(events);
        Assert.Equal("/registry/pods/default/c", only.Key);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watch_OnPrefix_SkipsOtherKeysButAdvancesItsRevision()
    {
        using StoreWatcher watcher = Store.Watch("/registry/pods/ns1/", 0);
        await CreateAsync("/registry/pods/ns10/a", "x");
        await CreateAsync("/registry/pods/ns1/a", "y");
        await CreateAsync("/registry/secrets/ns1/a", "z");

        List<WatchEvent> events = await CollectAsync(watcher, 3);

        Assert.Equal("/registry/pods/ns1/a", Assert.Single(events).Key);
        Assert.Equal(3, watcher.Revision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watch_DeleteEvent_CarriesTheLastValueAndRevisions()
    {
        long created = await CreateAsync("/registry/pods/default/a", "v1");
        WriteResult updated = await Store.UpdateAsync("/registry/pods/default/a", Bytes("v2"), created);
        WriteResult deleted = await Store.DeleteAsync("/registry/pods/default/a", updated.Revision);
        using StoreWatcher live = Store.Watch("/registry/pods/", updated.Revision);

        // The same event from the ring and, after a restart, from disk.
        WatchEvent fromRing = Assert.Single(await CollectAsync(live, deleted.Revision));
        await ReopenAsync();
        using StoreWatcher fromDisk = Store.Watch("/registry/pods/", 0);
        List<WatchEvent> all = await CollectAsync(fromDisk, deleted.Revision);

        foreach (WatchEvent e in new[] { fromRing, all[2] })
        {
            Assert.Equal(WatchEventType.Delete, e.Type);
            Assert.Equal("v2", Text(e.Value));
            Assert.Equal(deleted.Revision, e.Revision);
            Assert.Equal(created, e.CreateRevision);
            Assert.Equal(updated.Revision, e.PrevRevision);
        }

        Assert.Equal(WatchEventType.Put, all[0].Type);
        Assert.Equal(0, all[0].PrevRevision);
        Assert.Equal(created, all[1].PrevRevision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watch_FromOlderThanTheRing_CatchesUpFromDisk_ThenFollowsLiveWrites()
    {
        await ReopenAsync(SmallWindow());
        for (int i = 0; i < 1200; i++)
        {
            await CreateAsync($"/registry/pods/default/p{i}", "v");
        }

        using StoreWatcher watcher = Store.Watch("/registry/", 0);
        Task<List<WatchEvent>> collecting = CollectAsync(watcher, 1250);
        for (int i = 0; i < 50; i++)
        {
            await CreateAsync($"/registry/pods/default/q{i}", "v");
        }

        List<WatchEvent> events = await collecting.WaitAsync(Timeout);
        Assert.Equal(1250, events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            Assert.Equal(i + 1, events[i].Revision);
        }
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watch_LappedByTheWriter_EndsLagged_AndResumingFromItsRevisionLosesNothing()
    {
        await ReopenAsync(SmallWindow());
        using StoreWatcher watcher = Store.Watch("/registry/", 0);
        for (int i = 0; i < 5; i++)
        {
            await CreateAsync($"/registry/pods/default/a{i}", "v");
        }

        Assert.Equal(5, (await CollectAsync(watcher, 5)).Count);
        for (int i = 0; i < 100; i++)
        {
            await CreateAsync($"/registry/pods/default/b{i}", "v");
        }

        Assert.False(watcher.TryRead(out _));
        Assert.Equal(StoreStatus.Lagged, watcher.Status);
        Assert.False(await watcher.WaitToReadAsync());
        Assert.Equal(5, watcher.Revision);

        using StoreWatcher resumed = Store.Watch("/registry/", watcher.Revision);
        List<WatchEvent> rest = await CollectAsync(resumed, 105);
        Assert.Equal(100, rest.Count);
        Assert.Equal(6, rest[0].Revision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watch_CatchingUpFromDisk_WhenCompactionPassesIt_EndsCompactedWithoutAGap()
    {
        // 10 keys updated 150 times each: compaction really removes superseded rows.
        await ReopenAsync(SmallWindow());
        var writers = new List<Task>();
        for (int k = 0; k < 10; k++)
        {
            string key = $"/registry/pods/default/p{k}";
            writers.Add(Task.Run(async () =>
            {
                await Store.CreateAsync(key, Bytes("v"));
                for (int i = 1; i < 150; i++)
                {
                    Assert.Equal(StoreStatus.Ok, (await Store.UpdateAsync(key, Bytes("v"), 0)).Status);
                }
            }));
        }

        await Task.WhenAll(writers).WaitAsync(Timeout);
        using StoreWatcher watcher = Store.Watch("/registry/", 0);
        Assert.True(watcher.TryRead(out WatchEvent? first));
        Assert.Equal(1, first.Revision);

        // The first disk page is in memory; compaction now drops what the next page would read.
        await Store.CompactAsync(1200);
        long last = first.Revision;
        while (watcher.TryRead(out WatchEvent? e))
        {
            Assert.Equal(last + 1, e.Revision);
            last = e.Revision;
        }

        Assert.Equal(StoreStatus.Compacted, watcher.Status);
        Assert.Equal(last, watcher.Revision);
        Assert.True(last < 1200);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watch_WaitingWhenTheStoreCloses_EndsClosed()
    {
        using StoreWatcher watcher = Store.Watch("/registry/", 0);
        ValueTask<bool> waiting = watcher.WaitToReadAsync();

        await ReopenAsync();

        Assert.False(await waiting.AsTask().WaitAsync(Timeout));
        Assert.Equal(StoreStatus.Closed, watcher.Status);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watch_DisposedWhileWaiting_EndsClosed()
    {
        StoreWatcher watcher = Store.Watch("/registry/", 0);
        ValueTask<bool> waiting = watcher.WaitToReadAsync();

        watcher.Dispose();

        Assert.False(await waiting.AsTask().WaitAsync(Timeout));
        Assert.Equal(StoreStatus.Closed, watcher.Status);
    }

    [Fact]
    public void Watch_InvalidPrefix_IsInvalidKey()
    {
        using StoreWatcher watcher = Store.Watch("/registry//", 0);

        Assert.Equal(StoreStatus.InvalidKey, watcher.Status);
    }

    /// <summary>Each writer creates then updates (by compare-and-swap) its own keys.</summary>
    private Task WriteConcurrentlyAsync(string phase, int writers, int perWriter)
    {
        var tasks = new Task[writers];
        for (int w = 0; w < writers; w++)
        {
            int writer = w;
            tasks[w] = Task.Run(async () =>
            {
                for (int n = 0; n < perWriter; n++)
                {
                    string key = $"/registry/pods/{phase}-w{writer}/k{n}";
                    WriteResult created = await Store.CreateAsync(key, Bytes("v1"));
                    Assert.Equal(StoreStatus.Ok, (await Store.UpdateAsync(key, Bytes("v2"), created.Revision)).Status);
                }
            });
        }

        return Task.WhenAll(tasks).WaitAsync(Timeout);
    }

    private StoreOptions SmallWindow()
    {
        StoreOptions options = NewOptions();
        options.WatchWindow = 16;
        return options;
    }

    /// <summary>Reads until the watcher has passed <paramref name="untilRevision"/>; bounded by the test timeout.</summary>
    private static async Task<List<WatchEvent>> CollectAsync(StoreWatcher watcher, long untilRevision)
    {
        var events = new List<WatchEvent>();
        using var timeout = new CancellationTokenSource(Timeout);
        while (watcher.Revision < untilRevision && await watcher.WaitToReadAsync(timeout.Token))
        {
            while (watcher.TryRead(out WatchEvent? e))
            {
                events.Add(e);
            }
        }

        return events;
    }
}
