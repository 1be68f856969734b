namespace Appliance.Store.Tests;

public sealed class ReadTests : StoreTestBase
{
    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Get_AtPastRevision_ReturnsTheValueThen()
    {
        long v1 = await CreateAsync("/registry/pods/default/a", "v1");
        WriteResult v2 = await Store.UpdateAsync("/registry/pods/default/a", Bytes("v2"), v1);

        Assert.Equal("v1", Text(Store.Get("/registry/pods/default/a", v1).Item!.Value));
        Assert.Equal("v2", Text(Store.Get("/registry/pods/default/a", v2.Revision).Item!.Value));
        Assert.Equal(StoreStatus.NotFound, Store.Get("/registry/pods/default/b", v2.Revision).Status);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Get_BeyondCurrentRevision_IsFutureRevision()
    {
        await CreateAsync("/registry/pods/default/a", "v1");

        Assert.Equal(StoreStatus.FutureRevision, Store.Get("/registry/pods/default/a", 2).Status);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Range_ReturnsOnlyLiveKeysUnderThePrefix_InKeyOrder()
    {
        await CreateAsync("/registry/pods/ns1/b", "1");
        await CreateAsync("/registry/pods/ns1/a", "2");
        await CreateAsync("/registry/pods/ns10/a", "3");
        await CreateAsync("/registry/pods/ns2/a", "4");
        long deleted = await CreateAsync("/registry/pods/ns1/c", "5");
        await Store.DeleteAsync("/registry/pods/ns1/c", deleted);

        RangeResult result = Store.Range("/registry/pods/ns1/");

        Assert.Equal(StoreStatus.Ok, result.Status);
        Assert.Equal(["/registry/pods/ns1/a", "/registry/pods/ns1/b"], result.Items.Select(i => i.Key));
        Assert.Null(result.Continue);
        Assert.Equal(Store.CurrentRevision, result.Revision);
        Assert.Equal(5, Store.Range("/registry/").Items.Count + 1);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Range_Paging_StaysAtTheFirstPagesRevision_WhileWritesHappen()
    {
        for (int i = 0; i < 50; i++)
        {
            await CreateAsync($"/registry/pods/default/p{i:D3}", "v1");
        }

        RangeResult page = Store.Range("/registry/pods/default/", limit: 7);
        long snapshot = page.Revision;
        var seen = new List<KeyValue>(page.Items);
        int round = 0;
        while (page.Continue is not null)
        {
            // Between pages: update a key already listed, update one not yet listed, delete one ahead,
            // and create a new one ahead. None of that may show in this list.
            KeyValue listed = seen[round % seen.Count];
            await Store.UpdateAsync(listed.Key, Bytes("v2"), 0);
            await Store.UpdateAsync($"/registry/pods/default/p{49 - round:D3}", Bytes("v2"), 0);
            await Store.CreateAsync($"/registry/pods/default/p{round:D3}-new", Bytes("new"));
            round++;

            page = Store.Range("/registry/pods/default/", limit: 7, continueToken: page.Continue);
            Assert.Equal(StoreStatus.Ok, page.Status);
            Assert.Equal(snapshot, page.Revision);
            seen.AddRange(page.Items);
        }

        Assert.Equal(50, seen.Count);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal($"/registry/pods/default/p{i:D3}", seen[i].Key);
            Assert.Equal("v1", Text(seen[i].Value));
            Assert.True(seen[i].ModRevision <= snapshot);
        }
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Range_WithLimitEqualToCount_HasNoContinue()
    {
        await CreateAsync("/registry/pods/default/a", "1");
        await CreateAsync("/registry/pods/default/b", "2");

        RangeResult result = Store.Range("/registry/pods/default/", limit: 2);

        Assert.Equal(2, result.Items.Count);
        Assert.Null(result.Continue);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("5:/registry/other/x")]
    [InlineData("0:/registry/pods/default/a")]
    [InlineData(":/registry/pods/default/a")]
    public void Range_WithForeignContinueToken_IsInvalidContinue(string token)
    {
        Assert.Equal(StoreStatus.InvalidContinue, Store.Range("/registry/pods/default/", 1, token).Status);
    }

    [Theory]
    [InlineData("/registry/pods")]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/registry//")]
    public void Range_PrefixNotEndingInSlashOrOutsideRegistry_IsInvalidKey(string prefix)
    {
        Assert.Equal(StoreStatus.InvalidKey, Store.Range(prefix).Status);
    }
}
