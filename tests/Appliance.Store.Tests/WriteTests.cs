namespace Appliance.Store.Tests;

public sealed class WriteTests : StoreTestBase
{
    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Create_NewKeys_GetConsecutiveRevisionsFromOne()
    {
        Assert.Equal(0, Store.CurrentRevision);
        Assert.Equal(1, await CreateAsync("/registry/pods/default/a", "1"));
        Assert.Equal(2, await CreateAsync("/registry/pods/default/b", "2"));
        Assert.Equal(2, Store.CurrentRevision);

        GetResult got = Store.Get("/registry/pods/default/a");
        Assert.Equal(StoreStatus.Ok, got.Status);
        Assert.Equal("1", Text(got.Item!.Value));
        Assert.Equal(1, got.Item.CreateRevision);
        Assert.Equal(1, got.Item.ModRevision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Create_ExistingKey_IsAlreadyExistsAndChangesNothing()
    {
        await CreateAsync("/registry/pods/default/a", "first");

        WriteResult again = await Store.CreateAsync("/registry/pods/default/a", Bytes("second"));

        Assert.Equal(StoreStatus.AlreadyExists, again.Status);
        Assert.Equal(1, Store.CurrentRevision);
        Assert.Equal("first", Text(Store.Get("/registry/pods/default/a").Item!.Value));
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Update_WithCurrentModRevision_ReplacesValueAndKeepsCreateRevision()
    {
        long created = await CreateAsync("/registry/pods/default/a", "v1");

        WriteResult updated = await Store.UpdateAsync("/registry/pods/default/a", Bytes("v2"), created);

        Assert.Equal(StoreStatus.Ok, updated.Status);
        KeyValue item = Store.Get("/registry/pods/default/a").Item!;
        Assert.Equal("v2", Text(item.Value));
        Assert.Equal(created, item.CreateRevision);
        Assert.Equal(updated.Revision, item.ModRevision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Update_WithStaleModRevision_IsConflictCarryingCurrentRevision()
    {
        long created = await CreateAsync("/registry/pods/default/a", "v1");
        WriteResult first = await Store.UpdateAsync("/registry/pods/default/a", Bytes("v2"), created);

        WriteResult stale = await Store.UpdateAsync("/registry/pods/default/a", Bytes("v3"), created);

        Assert.Equal(StoreStatus.Conflict, stale.Status);
        Assert.Equal(first.Revision, stale.Revision);
        Assert.Equal("v2", Text(Store.Get("/registry/pods/default/a").Item!.Value));
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Update_MissingKey_IsNotFound()
    {
        WriteResult result = await Store.UpdateAsync("/registry/pods/default/nope", Bytes("x"), 0);

        Assert.Equal(StoreStatus.NotFound, result.Status);
        Assert.Equal(0, Store.CurrentRevision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Delete_WithStaleModRevision_IsConflictAndKeyStays()
    {
        long created = await CreateAsync("/registry/pods/default/a", "v1");
        await Store.UpdateAsync("/registry/pods/default/a", Bytes("v2"), created);

        WriteResult result = await Store.DeleteAsync("/registry/pods/default/a", created);

        Assert.Equal(StoreStatus.Conflict, result.Status);
        Assert.Equal(StoreStatus.Ok, Store.Get("/registry/pods/default/a").Status);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Delete_WithCurrentModRevision_RemovesKeyButHistoryStaysReadable()
    {
        long created = await CreateAsync("/registry/pods/default/a", "v1");

        WriteResult deleted = await Store.DeleteAsync("/registry/pods/default/a", created);

        Assert.Equal(StoreStatus.Ok, deleted.Status);
        Assert.Equal(StoreStatus.NotFound, Store.Get("/registry/pods/default/a").Status);
        Assert.Equal("v1", Text(Store.Get("/registry/pods/default/a", created).Item!.Value));
        Assert.Equal(StoreStatus.NotFound, (await Store.DeleteAsync("/registry/pods/default/a", 0)).Status);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Create_AfterDelete_StartsANewLifeWithNewCreateRevision()
    {
        long first = await CreateAsync("/registry/pods/default/a", "v1");
        await Store.DeleteAsync("/registry/pods/default/a", first);

        long second = await CreateAsync("/registry/pods/default/a", "v2");

        KeyValue item = Store.Get("/registry/pods/default/a").Item!;
        Assert.Equal(second, item.CreateRevision);
        Assert.Equal(3, second);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task FailedWrites_UseNoRevision()
    {
        long created = await CreateAsync("/registry/pods/default/a", "v1");
        await Store.CreateAsync("/registry/pods/default/a", Bytes("dup"));
        await Store.UpdateAsync("/registry/pods/default/a", Bytes("stale"), created + 5);
        await Store.DeleteAsync("/registry/pods/default/missing", 0);

        Assert.Equal(2, await CreateAsync("/registry/pods/default/b", "v1"));
    }

    [Theory(Timeout = TestTimeouts.Test)]
    [InlineData("")]
    [InlineData("/registry/")]
    [InlineData("registry/pods/a")]
    [InlineData("/other/pods/a")]
    [InlineData("/registry/pods//a")]
    [InlineData("/registry/pods/a/")]
    [InlineData("/registry/pods/a b")]
    [InlineData("/registry/pods/\u00e9")]
    public async Task Create_InvalidKey_IsRefused(string key)
    {
        WriteResult result = await Store.CreateAsync(key, Bytes("x"));

        Assert.Equal(StoreStatus.InvalidKey, result.Status);
        Assert.Equal(0, Store.CurrentRevision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Create_KeyLongerThanLimit_IsRefused()
    {
        string key = "/registry/pods/" + new string('a', StoreOptions.DefaultMaxKeyLength);

        Assert.Equal(StoreStatus.InvalidKey, (await Store.CreateAsync(key, Bytes("x"))).Status);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Create_ValueOverLimit_IsRefusedAndValueAtLimitIsAccepted()
    {
        WriteResult tooLarge = await Store.CreateAsync("/registry/secrets/a", new byte[StoreOptions.DefaultMaxValueBytes + 1]);
        WriteResult atLimit = await Store.CreateAsync("/registry/secrets/b", new byte[StoreOptions.DefaultMaxValueBytes]);

        Assert.Equal(StoreStatus.ValueTooLarge, tooLarge.Status);
        Assert.Equal(StoreStatus.Ok, atLimit.Status);
        Assert.Equal(StoreOptions.DefaultMaxValueBytes, Store.Get("/registry/secrets/b").Item!.Value.Length);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Update_ValueOverLimit_IsRefusedAndKeyKeepsItsValue()
    {
        long created = await CreateAsync("/registry/secrets/a", "small");

        WriteResult result = await Store.UpdateAsync("/registry/secrets/a", new byte[StoreOptions.DefaultMaxValueBytes + 1], created);

        Assert.Equal(StoreStatus.ValueTooLarge, result.Status);
        Assert.Equal("small", Text(Store.Get("/registry/secrets/a").Item!.Value));
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task EmptyValue_RoundTrips()
    {
        await Store.CreateAsync("/registry/configmaps/a", []);

        Assert.Empty(Store.Get("/registry/configmaps/a").Item!.Value);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task ConcurrentWriters_EachGetTheirOwnRevision_AndRevisionsAreGapFree()
    {
        const int Writers = 32;
        const int PerWriter = 50;
        var revisions = new long[Writers * PerWriter];
        var tasks = new Task[Writers];
        for (int w = 0; w < Writers; w++)
        {
            int writer = w;
            tasks[w] = Task.Run(async () =>
            {
                for (int n = 0; n < PerWriter; n++)
                {
                    WriteResult result = await Store.CreateAsync($"/registry/pods/w{writer}/k{n}", Bytes("v"));
                    Assert.Equal(StoreStatus.Ok, result.Status);
                    revisions[(writer * PerWriter) + n] = result.Revision;
                }
            });
        }

        await Task.WhenAll(tasks).WaitAsync(Timeout);

        Array.Sort(revisions);
        for (int i = 0; i < revisions.Length; i++)
        {
            Assert.Equal(i + 1, revisions[i]);
        }

        Assert.Equal(revisions.Length, Store.CurrentRevision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task ConcurrentWrites_ShareTransactions_GroupCommit()
    {
        long batchesBefore = Store.CommittedBatches;
        var writes = new Task<WriteResult>[256];
        for (int i = 0; i < writes.Length; i++)
        {
            writes[i] = Store.CreateAsync($"/registry/pods/default/p{i}", Bytes("v")).AsTask();
        }

        await Task.WhenAll(writes).WaitAsync(Timeout);

        // Submitting 256 writes takes far less than one fsync, so they ride in a handful of commits.
        long batches = Store.CommittedBatches - batchesBefore;
        Assert.InRange(batches, 1, 64);
        Assert.Equal(256, Store.CurrentRevision);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task ConcurrentCompareAndSwap_OnOneKey_ExactlyOneWinsPerRevision()
    {
        long revision = await CreateAsync("/registry/counters/c", "0");
        var tasks = new Task<WriteResult>[16];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Store.UpdateAsync("/registry/counters/c", Bytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), revision).AsTask();
        }

        WriteResult[] results = await Task.WhenAll(tasks).WaitAsync(Timeout);

        Assert.Single(results, r => r.Status == StoreStatus.Ok);
        Assert.Equal(15, results.Count(r => r.Status == StoreStatus.Conflict));
    }
}
