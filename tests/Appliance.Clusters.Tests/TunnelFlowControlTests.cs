using System.Text;
using Appliance.Clusters.Tunnel;
using static Appliance.Clusters.Tests.TunnelStreams;

namespace Appliance.Clusters.Tests;

/// <summary>Per-stream windows: a stream nobody reads stalls only itself, and neither side sends past what it was granted.</summary>
public sealed class TunnelFlowControlTests
{
    private const int Window = 64 * 1024;

    [Fact]
    public async Task AStreamNobodyReads_FillsOnlyItsOwnWindow_OtherStreamsKeepFlowing()
    {
        byte[] flood = RandomBytes(1024 * 1024, seed: 3);
        var floodWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, target) =>
        {
            if (Encoding.UTF8.GetString(target.Span) != "flood")
            {
                await EchoAsync(stream, target);
                return;
            }

            await using (stream)
            {
                await stream.AcceptAsync();
                await stream.WriteAsync(flood);
                floodWritten.SetResult();
                await stream.ShutdownWriteAsync();
                await TunnelWait.ReadToEndAsync(stream);
            }
        }, TunnelSessionPair.Options(window: Window), TunnelSessionPair.Options(window: Window));

        // Nobody reads this one (a watch whose client went quiet).
        await using TunnelStream stalled = await pair.Server.OpenStreamAsync(Utf8("flood"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);

        // Every other stream keeps working: round trips on one stream, and fresh streams opened meanwhile.
        await using TunnelStream echo = await pair.Server.OpenStreamAsync(Utf8("echo"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        byte[] buffer = new byte[100];
        for (int i = 0; i < 50; i++)
        {
            byte[] message = RandomBytes(100, seed: i);
            await echo.WriteAsync(message).AsTask().WaitAsync(TunnelWait.Bound);
            await echo.ReadExactlyAsync(buffer).AsTask().WaitAsync(TunnelWait.Bound);
            Assert.Equal(message, buffer);
        }

        for (int i = 0; i < 5; i++)
        {
            await using TunnelStream fresh = await pair.Server.OpenStreamAsync(Utf8("echo"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
            Assert.Equal(buffer, await ExchangeAsync(fresh, buffer));
        }

        // The flood is parked on its window, not in any buffer: reading it lets the writer finish.
        Assert.False(floodWritten.Task.IsCompleted);
        await stalled.ShutdownWriteAsync();
        Assert.Equal(flood, await TunnelWait.ReadToEndAsync(stalled));
        await floodWritten.Task.WaitAsync(TunnelWait.Bound);
    }

    [Fact]
    public async Task TheSender_NeverExceedsTheAnnouncedWindow_AndResumesOnWindowUpdates()
    {
        TunnelSocketPair sockets = await TunnelSocketPair.CreateAsync();
        TunnelOptions options = TunnelSessionPair.Options(maxMessageSize: 16 * 1024);
        await using var session = new TunnelSession(sockets.Server, isServer: true, options, new TestLogger());
        Task<string> run = session.RunAsync(CancellationToken.None);
        TunnelRawPeer agent = new TunnelRawPeer(sockets.Client).Start();

        ValueTask<TunnelStream> opening = session.OpenStreamAsync(Utf8("t"), CancellationToken.None);
        TunnelRawFrame open = await agent.ExpectAsync(TunnelFrameType.Open);
        await agent.SendAsync(TunnelFrameType.OpenAck, open.StreamId, TunnelRawPeer.UInt32(100_000));
        await using TunnelStream stream = await opening.AsTask().WaitAsync(TunnelWait.Bound);

        byte[] payload = RandomBytes(250_000, seed: 4);
        Task write = stream.WriteAsync(payload).AsTask();
        var received = new MemoryStream();

        await ReceiveDataAsync(100_000);
        Assert.Null(await agent.TryReceiveAsync(TimeSpan.FromMilliseconds(300)));
        Assert.False(write.IsCompleted);

        await agent.SendAsync(TunnelFrameType.WindowUpdate, open.StreamId, TunnelRawPeer.UInt32(100_000));
        await ReceiveDataAsync(200_000);
        Assert.Null(await agent.TryReceiveAsync(TimeSpan.FromMilliseconds(100)));

        await agent.SendAsync(TunnelFrameType.WindowUpdate, open.StreamId, TunnelRawPeer.UInt32(1_000_000));
        await ReceiveDataAsync(250_000);
        await write.WaitAsync(TunnelWait.Bound);
        Assert.Equal(payload, received.ToArray());
        Assert.False(run.IsCompleted);

        async Task ReceiveDataAsync(long until)
        {
            while (received.Length < until)
            {
                TunnelRawFrame data = await agent.ExpectAsync(TunnelFrameType.Data);
                Assert.Equal(open.StreamId, data.StreamId);
                Assert.InRange(data.Payload.Length, 1, options.MaxMessageSize - TunnelFrame.HeaderSize);
                received.Write(data.Payload);
            }

            Assert.Equal(until, received.Length);
        }
    }

    [Fact]
    public async Task APeerSendingPastItsWindow_HasThatStreamReset_OtherStreamsAreFine()
    {
        TunnelSocketPair sockets = await TunnelSocketPair.CreateAsync();
        var victimRead = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var overrun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var session = new TunnelSession(sockets.Server, isServer: true, TunnelSessionPair.Options(window: Window), new TestLogger())
        {
            StreamOpened = async (stream, target) =>
            {
                if (Encoding.UTF8.GetString(target.Span) != "victim")
                {
                    await EchoAsync(stream, target);
                    return;
                }

                await using (stream)
                {
                    await stream.AcceptAsync();

                    // Reads nothing until the peer has overrun the window, then finds the stream reset.
                    await overrun.Task.WaitAsync(TunnelWait.Bound);
                    try
                    {
                        await TunnelWait.ReadToEndAsync(stream);
                        victimRead.TrySetResult(null);
                    }
                    catch (IOException e)
                    {
                        victimRead.TrySetResult(e);
                    }
                }
            },
        };
        Task<string> run = session.RunAsync(CancellationToken.None);
        TunnelRawPeer agent = new TunnelRawPeer(sockets.Client).Start();

        await agent.SendOpenAsync(2, 1 << 20, "victim");
        await agent.SendOpenAsync(4, 1 << 20, "bystander");
        TunnelRawFrame ack = await agent.ExpectAsync(TunnelFrameType.OpenAck);
        Assert.Equal((uint)Window, ack.UInt32);
        await agent.ExpectAsync(TunnelFrameType.OpenAck);

        // Exactly the window is fine; one byte more is not.
        byte[] chunk = new byte[Window / 4];
        for (int i = 0; i < 4; i++)
        {
            await agent.SendAsync(TunnelFrameType.Data, 2, chunk);
        }

        await agent.ExpectAliveAsync();
        await agent.SendAsync(TunnelFrameType.Data, 2, [1]);

        TunnelRawFrame reset = await agent.ExpectAsync(TunnelFrameType.Reset);
        overrun.SetResult();
        Assert.Equal(2u, reset.StreamId);
        Assert.Contains("window", reset.Text, StringComparison.Ordinal);
        Exception? readFailure = await victimRead.Task.WaitAsync(TunnelWait.Bound);
        Assert.IsType<IOException>(readFailure);

        await agent.SendAsync(TunnelFrameType.Data, 4, Utf8("hello"));
        TunnelRawFrame echoed = await agent.ExpectAsync(TunnelFrameType.Data);
        Assert.Equal(4u, echoed.StreamId);
        Assert.Equal("hello", echoed.Text);
        Assert.Equal(1, session.OpenStreamCount);
        Assert.False(run.IsCompleted);
    }

    [Fact]
    public async Task AWriteWaitingForWindow_CanBeCancelled_AndTheStreamGoesOn()
    {
        var accepted = new TaskCompletionSource<TunnelStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, _) =>
        {
            await stream.AcceptAsync();
            accepted.SetResult(stream);
        }, TunnelSessionPair.Options(window: 16 * 1024), TunnelSessionPair.Options(window: 16 * 1024));
        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        await using TunnelStream agentSide = await accepted.Task.WaitAsync(TunnelWait.Bound);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.WriteAsync(new byte[64 * 1024], cancellation.Token).AsTask().WaitAsync(TunnelWait.Bound));

        // The window's 16 KiB went out before the wait; the rest of that write did not. The stream still works.
        Task write = stream.WriteAsync(new byte[20_000]).AsTask();
        byte[] all = await TunnelWait.ReadExactlyAsync(agentSide, 16 * 1024 + 20_000);
        await write.WaitAsync(TunnelWait.Bound);
        Assert.Equal(16 * 1024 + 20_000, all.Length);
    }
}
