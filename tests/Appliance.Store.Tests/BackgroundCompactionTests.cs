using Microsoft.Extensions.Time.Testing;

namespace Appliance.Store.Tests;

public sealed class BackgroundCompactionTests : StoreTestBase
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
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

    protected override Task<KeyValueStore> OpenAsync()
    {
        StoreOptions options = NewOptions();
        options.CompactionInterval = TimeSpan.FromMinutes(1);
        options.CompactionMinAge = TimeSpan.FromMinutes(5);
        options.CompactionMinRevisions = 10;
        return KeyValueStore.OpenAsync(options, timeProvider: _time);
    }
}
