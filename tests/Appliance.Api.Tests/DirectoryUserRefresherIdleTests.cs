using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Api.Tests;

/// <summary>
/// Between refreshes the directory user refresher waits (for its interval or a changed Setting) and does nothing
/// else. It once watched the Setting's key, which a watch refuses (it takes a prefix); the refused watch ended at
/// once and the loop went round again, keeping half a core busy on an idle server (bench/tunnel-load.sh).
/// </summary>
public sealed class DirectoryUserRefresherIdleTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task IdleRefresher_WaitsInsteadOfLooping()
    {
        var clock = new CountingTimeProvider();
        var refresher = new DirectoryUserRefresher(server.Services, clock, NullLogger<DirectoryUserRefresher>.Instance);
        await refresher.StartAsync(CancellationToken.None);
        try
        {
            await Task.Delay(500);
        }
        finally
        {
            await refresher.StopAsync(CancellationToken.None);
        }

        // One look at the clock per pass of the loop: a few passes at most, not thousands.
        Assert.InRange(clock.Reads, 1, 10);
    }

    private sealed class CountingTimeProvider : TimeProvider
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public override DateTimeOffset GetUtcNow()
        {
            Interlocked.Increment(ref _reads);
            return base.GetUtcNow();
        }
    }
}
