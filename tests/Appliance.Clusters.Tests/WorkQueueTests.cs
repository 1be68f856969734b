using Appliance.Clusters.Controllers;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Clusters.Tests;

/// <summary>The controllers' work queue: one entry per key, never the same key twice at once, backoff on failure.</summary>
public sealed class WorkQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task AKeyAddedManyTimes_IsTakenOnce()
    {
        var queue = new WorkQueue(_time, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        queue.Add("c1");
        queue.Add("c1");
        queue.Add("c2");
        queue.Add("c1");

        Assert.Equal("c1", await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(Bound));
        Assert.Equal("c2", await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(Bound));
        Assert.False(queue.TakeAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task AKeyAddedWhileItIsWorkedOn_IsWorkedOnAgainAfterwards_NotAtTheSameTime()
    {
        var queue = new WorkQueue(_time, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        queue.Add("c1");
        string key = await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(Bound);

        queue.Add("c1");
        ValueTask<string> next = queue.TakeAsync(CancellationToken.None);
        Assert.False(next.IsCompleted);

        queue.Done(key, succeeded: true);
        Assert.Equal("c1", await next.AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task AFailedKey_ComesBackAfterADoublingBackoff_AndASuccessResetsIt()
    {
        var queue = new WorkQueue(_time, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        queue.Add("c1");
        Assert.Equal(TimeSpan.FromSeconds(1), queue.Done(await queue.TakeAsync(CancellationToken.None), succeeded: false));

        ValueTask<string> retry = queue.TakeAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.False(retry.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal("c1", await retry.AsTask().WaitAsync(Bound));

        Assert.Equal(TimeSpan.FromSeconds(2), queue.Done("c1", succeeded: false));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("c1", await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(Bound));
        Assert.Equal(TimeSpan.FromSeconds(3), queue.Done("c1", succeeded: false)); // capped
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal("c1", await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(Bound));

        queue.Done("c1", succeeded: true);
        queue.Add("c1");
        Assert.Equal(TimeSpan.FromSeconds(1), queue.Done(await queue.TakeAsync(CancellationToken.None).AsTask().WaitAsync(Bound), succeeded: false));
    }

    [Fact]
    public async Task AddAfter_QueuesTheKeyOnlyOnceTheDelayHasPassed()
    {
        var queue = new WorkQueue(_time, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        queue.AddAfter("c1", TimeSpan.FromSeconds(30));
        ValueTask<string> taken = queue.TakeAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(taken.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("c1", await taken.AsTask().WaitAsync(Bound));
    }
}
