using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Store.Tests;

public sealed class CompactionTests : StoreTestBase
{
    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Compact_DropsOldHistory_ReadsBelowAreCompacted_LatestValuesStay()
    {
        long a = await CreateAsync("/registry/pods/default/a", "a1");
        WriteResult a2 = await Store.UpdateAsync("/registry/pods/default/a", Bytes("a2"), a);
        long b = await CreateAsync("/registry/pods/default/b", "b1");
        WriteResult bDeleted = await Store.DeleteAsync("/registry/pods/default/b", b);

        WriteResult compacted = await Store.CompactAsync(bDeleted.Revision);

        Assert.Equal(StoreStatus.Ok, compacted.Status);
        Assert.Equal(bDeleted.Revision, Store.CompactRevision);
        Assert.Equal(StoreStatus.Compacted, Store.Get("/registry/pods/default/a", a).Status);
        Assert.Equal(StoreStatus.Compacted, Store.Range("/registry/pods/", revision: a2.Revision).Status);
        Assert.Equal("a2", Text(Store.Get("/registry/pods/default/a").Item!.Value));
        Assert.Equal(StoreStatus.NotFound, Store.Get("/registry/pods/default/b").Status);
        Assert.Equal(1, CountRows());
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Compact_AtOrBelowCompactedRevision_IsCompacted_AndBeyondCurrent_IsFutureRevision()
    {
        await CreateAsync("/registry/pods/default/a", "a1");
        await CreateAsync("/registry/pods/default/b", "b1");
        await Store.CompactAsync(2);

        Assert.Equal(StoreStatus.Compacted, (await Store.CompactAsync(1)).Status);
        Assert.Equal(StoreStatus.FutureRevision, (await Store.CompactAsync(3)).Status);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Watch_FromBelowCompactedRevision_IsCompacted_AndFromItWorks()
    {
        long a = await CreateAsync("/registry/pods/default/a", "a1");
        await Store.UpdateAsync("/registry/pods/default/a", Bytes("a2"), a);
        await Store.CompactAsync(2);
        long next = await CreateAsync("/registry/pods/default/b", "b1");

        using StoreWatcher tooOld = Store.Watch("/registry/pods/", 1);
        using StoreWatcher fromCompacted = Store.Watch("/registry/pods/", 2);

        Assert.Equal(StoreStatus.Compacted, tooOld.Status);
        Assert.False(await tooOld.WaitToReadAsync());
        Assert.True(fromCompacted.TryRead(out WatchEvent? e));
        Assert.Equal(next, e.Revision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Range_ContinuingAPagedListAfterItsRevisionWasCompacted_IsCompacted()
    {
        for (int i = 0; i < 5; i++)
        {
            await CreateAsync($"/registry/pods/default/p{i}", "v");
        }

        RangeResult first = Store.Range("/registry/pods/default/", limit: 2);
        await CreateAsync("/registry/pods/default/later", "v");
        await Store.CompactAsync(Store.CurrentRevision);

        Assert.Equal(StoreStatus.Compacted, Store.Range("/registry/pods/default/", limit: 2, continueToken: first.Continue).Status);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Compaction_ReturnsFreedPagesToTheFileSystem()
    {
        byte[] big = new byte[64 * 1024];
        long revision = await CreateAsync("/registry/configmaps/big", "start");
        for (int i = 0; i < 100; i++)
        {
            revision = (await Store.UpdateAsync("/registry/configmaps/big", big, 0)).Revision;
        }

        long pagesBefore = Pragma("page_count");
        await Store.CompactAsync(revision);

        Assert.True(Pragma("page_count") < pagesBefore / 10, $"{Pragma("page_count")} pages left of {pagesBefore}");
        Assert.Equal(0, Pragma("freelist_count"));
    }

    private long CountRows()
    {
        using SqliteConnection connection = OpenRaw();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM kv";
        return (long)command.ExecuteScalar()!;
    }

    private long Pragma(string name)
    {
        using SqliteConnection connection = OpenRaw();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return (long)command.ExecuteScalar()!;
    }

    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection($"Data Source={Directory.DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }
}
