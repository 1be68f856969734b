using Microsoft.Extensions.Time.Testing;

namespace Appliance.Store.Tests;

public sealed class BackgroundCompactionTests : StoreTestBase
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task BackgroundCompaction_KeepsTheLargerOfTheAgeAndRevisionWindows()
    {
        // 100 revisions at minute 0: the revision window alone would compact to 90, but none is 5 minutes old.
        for (int i = 0; i < 100; i++)
        {
            await CreateAsync($"/registry/pods/default/p{i}", "v");
        }

        for (int minute = 1; minute <= 5; minute++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(0, Store.CompactRevision);
        }

        // At minute 6, revision 100 (sampled at minute 1) is old enough; the revision window keeps 10 of 101.
        await CreateAsync("/registry/pods/default/late", "v");
        _time.Advance(TimeSpan.FromMinutes(1));

        using var timeout = new CancellationTokenSource(Timeout);
        while (Store.CompactRevision != 91)
        {
            await Task.Delay(5, timeout.Token);
        }

        Assert.Equal(StoreStatus.Compacted, Store.Get("/registry/pods/default/p0", 90).Status);
        Assert.Equal(StoreStatus.Ok, Store.Get("/registry/pods/default/p0", 91).Status);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task BackgroundCompaction_KeepsFiveMinutesOfHistory_WhenThatIsMoreThanTheRevisionWindow()
    {
        await WriteAsync("early", 100);
        _time.Advance(TimeSpan.FromMinutes(1));
        await WriteAsync("busy", 400);
        for (int minute = 2; minute <= 6; minute++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        // At minute 6 the revision window alone would keep only 491..500; five minutes keeps 101..500.
        using var timeout = new CancellationTokenSource(Timeout);
        while (Store.CompactRevision != 100)
        {
            await Task.Delay(5, timeout.Token);
        }

        Assert.Equal(StoreStatus.Ok, Store.Get("/registry/pods/busy/p0", 101).Status);
    }

    protected override Task<KeyValueStore> OpenAsync()
    {
        StoreOptions options = NewOptions();
        options.CompactionInterval = TimeSpan.FromMinutes(1);
        options.CompactionMinAge = TimeSpan.FromMinutes(5);
        options.CompactionMinRevisions = 10;
        return KeyValueStore.OpenAsync(options, timeProvider: _time);
    }

    private async Task WriteAsync(string name, int count)
    {
        var writes = new Task<WriteResult>[count];
        for (int i = 0; i < count; i++)
        {
            writes[i] = Store.CreateAsync($"/registry/pods/{name}/p{i}", Bytes("v")).AsTask();
        }

        foreach (WriteResult result in await Task.WhenAll(writes).WaitAsync(Timeout))
        {
            Assert.Equal(StoreStatus.Ok, result.Status);
        }
    }
}
