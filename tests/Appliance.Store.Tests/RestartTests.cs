namespace Appliance.Store.Tests;

public sealed class RestartTests : StoreTestBase
{
    [Fact(Timeout = TestTimeouts.Test)]
    public async Task NewDatabaseFiles_AreReadableByTheOwnerOnly()
    {
        await CreateAsync("/registry/secrets/default/a", "secret");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Directory.DatabasePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Directory.DatabasePath + "-wal"));
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Reopen_KeepsValuesHistoryRevisionsAndCompaction()
    {
        long a = await CreateAsync("/registry/pods/default/a", "a1");
        WriteResult a2 = await Store.UpdateAsync("/registry/pods/default/a", Bytes("a2"), a);
        long b = await CreateAsync("/registry/pods/default/b", "b1");
        await Store.DeleteAsync("/registry/pods/default/b", b);
        await CreateAsync("/registry/pods/default/c", "c1");
        await Store.CompactAsync(2);
        long current = Store.CurrentRevision;

        await ReopenAsync();

        Assert.Equal(current, Store.CurrentRevision);
        Assert.Equal(2, Store.CompactRevision);
        KeyValue item = Store.Get("/registry/pods/default/a").Item!;
        Assert.Equal("a2", Text(item.Value));
        Assert.Equal(a, item.CreateRevision);
        Assert.Equal(a2.Revision, item.ModRevision);
        Assert.Equal(StoreStatus.NotFound, Store.Get("/registry/pods/default/b").Status);
        Assert.Equal("b1", Text(Store.Get("/registry/pods/default/b", b).Item!.Value));
        Assert.Equal(StoreStatus.Compacted, Store.Get("/registry/pods/default/a", 1).Status);
        Assert.Equal(current + 1, await CreateAsync("/registry/pods/default/d", "d1"));
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Reopen_AfterCompactingAwayATrailingDelete_KeepsTheCurrentRevision()
    {
        long a = await CreateAsync("/registry/pods/default/a", "a1");
        WriteResult deleted = await Store.DeleteAsync("/registry/pods/default/a", a);
        Assert.Equal(StoreStatus.Ok, (await Store.CompactAsync(deleted.Revision)).Status);

        await ReopenAsync();

        Assert.Equal(deleted.Revision, Store.CurrentRevision);
        Assert.Equal(deleted.Revision + 1, await CreateAsync("/registry/pods/default/a", "again"));
    }
}
