using System.Diagnostics;
using Appliance.Clusters.Tunnel;
using static Appliance.Clusters.Tests.TunnelStreams;

namespace Appliance.Clusters.Tests;

/// <summary>Pings: a silent peer ends the session within the ping timeout; an answering one keeps it up and measured.</summary>
[Collection(nameof(TunnelTimingCollection))]
public sealed class TunnelLivenessTests
{
    private static TunnelOptions FastPings() => new()
    {
        PingInterval = TimeSpan.FromMilliseconds(50),
        PingTimeout = TimeSpan.FromMilliseconds(500),
        OpenTimeout = TimeSpan.FromSeconds(5),
        CloseTimeout = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task APeerThatStopsAnswering_EndsTheSessionWithPingTimeout_WithinTheBound()
    {
        TunnelSocketPair sockets = await TunnelSocketPair.CreateAsync();
        var log = new TestLogger();
        await using var session = new TunnelSession(sockets.Server, isServer: true, FastPings(), log);
        var watch = Stopwatch.StartNew();
        Task<string> run = session.RunAsync(CancellationToken.None);

        // The raw agent answers one Open, then reads nothing and sends nothing more (a hung process).
        var agent = new TunnelRawPeer(sockets.Client);
        ValueTask<TunnelStream> opening = session.OpenStreamAsync(Utf8("api"), CancellationToken.None);
        byte[] buffer = new byte[1024];
        uint openId = 0;
        while (openId == 0)
        {
            var result = await sockets.Client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TunnelWait.Bound);
            TunnelFrame.TryRead(buffer.AsSpan(0, result.Count), out TunnelFrameType type, out uint id);
            openId = type == TunnelFrameType.Open ? id : 0;
        }

        await agent.SendAsync(TunnelFrameType.OpenAck, openId, TunnelRawPeer.UInt32(1 << 20));
        await using TunnelStream stream = await opening.AsTask().WaitAsync(TunnelWait.Bound);
        watch.Restart();
        Task<int> pendingRead = stream.ReadAsync(buffer).AsTask();

        string reason = await run.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.StartsWith("ping timeout", reason, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(2));
        IOException failure = await Assert.ThrowsAsync<IOException>(() => pendingRead.WaitAsync(TimeSpan.FromSeconds(1)));
        Assert.Contains("ping timeout", failure.Message, StringComparison.Ordinal);
        Assert.True(log.Contains("silent for"));
        Assert.False(session.IsRunning);
    }

    [Fact]
    public async Task RoundTripTime_IsMeasuredFromThePings_OnBothSides()
    {
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(EchoAsync, FastPings(), FastPings());

        await TunnelWait.UntilAsync(() => pair.Server.RoundTripTime is not null && pair.Agent.RoundTripTime is not null, "both sides measured a round trip");

        Assert.InRange(pair.Server.RoundTripTime!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.InRange(pair.Agent.RoundTripTime!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task AnIdleSession_StaysUpLongPastThePingTimeout_WhilePingsAreAnswered()
    {
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(EchoAsync, FastPings(), FastPings());

        // Three ping timeouts with no traffic but the pings.
        await Task.Delay(TimeSpan.FromMilliseconds(1500));

        Assert.True(pair.Server.IsRunning, pair.Server.EndReason);
        Assert.True(pair.Agent.IsRunning, pair.Agent.EndReason);
        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        Assert.Equal(Utf8("alive"), await ExchangeAsync(stream, Utf8("alive")));
    }
}
