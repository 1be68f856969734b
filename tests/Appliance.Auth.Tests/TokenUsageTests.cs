namespace Appliance.Auth.Tests;

/// <summary>The in-memory record of token uses: what is due for writing, when, and what is forgotten.</summary>
public sealed class TokenUsageTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private readonly ManualClock _clock = new(Start);

    [Fact]
    public void AUse_IsDueOnceWithItsTime_ThenNotAgainUntilUsedAgain()
    {
        var usage = new TokenUsage(_clock);
        Assert.Empty(usage.TakeDue());

        usage.MarkUsed("token-aaaaa");
        _clock.Advance(TimeSpan.FromSeconds(3));
        TokenUseToWrite due = Assert.Single(usage.TakeDue());
        Assert.Equal("token-aaaaa", due.TokenName);
        Assert.Equal(Start, due.UsedAt);

        Assert.Empty(usage.TakeDue());
    }

    [Fact]
    public void UsedAgainWithinTheMinute_IsHeldBackUntilTheMinuteIsOver_WithTheLatestTime()
    {
        var usage = new TokenUsage(_clock);
        usage.MarkUsed("token-aaaaa");
        Assert.Single(usage.TakeDue());

        _clock.Advance(TimeSpan.FromSeconds(20));
        usage.MarkUsed("token-aaaaa");
        _clock.Advance(TimeSpan.FromSeconds(20));
        usage.MarkUsed("token-aaaaa");
        Assert.Empty(usage.TakeDue());

        _clock.Advance(TimeSpan.FromSeconds(20));
        TokenUseToWrite due = Assert.Single(usage.TakeDue());
        Assert.Equal(Start + TimeSpan.FromSeconds(40), due.UsedAt);
    }

    [Fact]
    public void All_TakesAPendingUseBeforeItsMinute_ForTheFlushAtShutdown()
    {
        var usage = new TokenUsage(_clock);
        usage.MarkUsed("token-aaaaa");
        Assert.Single(usage.TakeDue());
        _clock.Advance(TimeSpan.FromSeconds(5));
        usage.MarkUsed("token-aaaaa");

        Assert.Empty(usage.TakeDue());
        Assert.Single(usage.TakeDue(all: true));
        Assert.Empty(usage.TakeDue(all: true));
    }

    [Fact]
    public void FailedWrite_Retried_IsDueOnTheNextRound()
    {
        var usage = new TokenUsage(_clock);
        usage.MarkUsed("token-aaaaa");
        Assert.Single(usage.TakeDue()).Retry();

        TokenUseToWrite again = Assert.Single(usage.TakeDue());
        Assert.Equal(Start, again.UsedAt);
    }

    [Fact]
    public void UsesLessThanASecondApart_AreOne()
    {
        var usage = new TokenUsage(_clock);
        TokenUse use = usage.Track("token-aaaaa");
        use.MarkUsed();
        Assert.Single(usage.TakeDue());

        _clock.Advance(TimeSpan.FromMilliseconds(400));
        use.MarkUsed();
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Empty(usage.TakeDue());

        use.MarkUsed();
        Assert.Single(usage.TakeDue());
    }

    [Fact]
    public void IdleEntries_AreForgotten_OnlyOnceWritten()
    {
        var usage = new TokenUsage(_clock);
        usage.MarkUsed("token-aaaaa");
        usage.MarkUsed("token-bbbbb");
        Assert.Equal(2, usage.TakeDue().Count);
        usage.MarkUsed("token-ccccc");

        _clock.Advance(TokenUsage.ForgetAfter);
        // c's use is written now; a and b, written and idle, are dropped.
        Assert.Equal("token-ccccc", Assert.Single(usage.TakeDue()).TokenName);
        Assert.Equal(1, usage.Count);
        _clock.Advance(TokenUsage.ForgetAfter);
        Assert.Empty(usage.TakeDue());
        Assert.Equal(0, usage.Count);
    }

    [Fact]
    public void Forget_DropsAPendingUse()
    {
        var usage = new TokenUsage(_clock);
        usage.MarkUsed("token-aaaaa");
        usage.Forget("token-aaaaa");
        Assert.Empty(usage.TakeDue());
    }

    [Fact]
    public void MarkUsed_OnATrackedEntry_AllocatesNothing()
    {
        var usage = new TokenUsage(TimeProvider.System);
        TokenUse use = usage.Track("token-aaaaa");
        use.MarkUsed();
        usage.MarkUsed("token-aaaaa");
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            use.MarkUsed();
            usage.MarkUsed("token-aaaaa");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>A clock that moves only when told (the Auth tests have no FakeTimeProvider).</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override DateTimeOffset GetUtcNow() => _now;

        public override long GetTimestamp() => _now.UtcTicks;

        public void Advance(TimeSpan by) => _now += by;
    }
}
