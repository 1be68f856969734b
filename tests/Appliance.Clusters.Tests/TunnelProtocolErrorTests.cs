using System.Diagnostics;
using System.Net.WebSockets;
using Appliance.Clusters.Tunnel;
using static Appliance.Clusters.Tests.TunnelStreams;

namespace Appliance.Clusters.Tests;

/// <summary>
/// A peer that breaks the protocol, as raw frames on a real WebSocket: stream-level mistakes reset that stream
/// and the session goes on; message-level ones close the session with the matching WebSocket status.
/// </summary>
public sealed class TunnelProtocolErrorTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task FramesForAnUnknownStream_AreAnsweredWithAReset_AndTheSessionGoesOn()
    {
        await using RawAgent raw = await RawAgent.StartAsync();

        await raw.Agent.SendAsync(TunnelFrameType.Data, 42, Utf8("who?"));
        await raw.Agent.SendAsync(TunnelFrameType.Close, 44, []);
        await raw.Agent.SendAsync(TunnelFrameType.WindowUpdate, 46, TunnelRawPeer.UInt32(1000));
        await raw.Agent.SendAsync(TunnelFrameType.OpenAck, 48, TunnelRawPeer.UInt32(1000));

        foreach (uint id in new uint[] { 42, 44, 46, 48 })
        {
            TunnelRawFrame reset = await raw.Agent.ExpectAsync(TunnelFrameType.Reset);
            Assert.Equal(id, reset.StreamId);
            Assert.Equal("unknown stream", reset.Text);
        }

        // A Reset is never answered, even for an unknown stream (no Reset ping-pong).
        await raw.Agent.SendAsync(TunnelFrameType.Reset, 50, Utf8("unknown stream"));
        await raw.Agent.ExpectAliveAsync();

        await raw.Agent.SendOpenAsync(2, 1 << 20, "echo");
        Assert.Equal(2u, (await raw.Agent.ExpectAsync(TunnelFrameType.OpenAck)).StreamId);
        await raw.Agent.SendAsync(TunnelFrameType.Data, 2, Utf8("still working"));
        Assert.Equal("still working", (await raw.Agent.ExpectAsync(TunnelFrameType.Data)).Text);
        Assert.True(raw.Session.IsRunning);
        Assert.True(raw.Log.Contains("which is not open"));
    }

    [Fact]
    public async Task AnOpenWithTheWrongParityOrAnIdInUse_IsReset_AndTheSessionGoesOn()
    {
        await using RawAgent raw = await RawAgent.StartAsync();

        // Odd ids are the server's to open.
        await raw.Agent.SendOpenAsync(3, 1 << 20, "echo");
        TunnelRawFrame wrongParity = await raw.Agent.ExpectAsync(TunnelFrameType.Reset);
        Assert.Equal(3u, wrongParity.StreamId);
        Assert.Contains("not the opener's", wrongParity.Text, StringComparison.Ordinal);

        await raw.Agent.SendOpenAsync(2, 1 << 20, "echo");
        await raw.Agent.ExpectAsync(TunnelFrameType.OpenAck);
        await raw.Agent.SendOpenAsync(2, 1 << 20, "echo");
        TunnelRawFrame inUse = await raw.Agent.ExpectAsync(TunnelFrameType.Reset);
        Assert.Equal(2u, inUse.StreamId);
        Assert.Contains("already in use", inUse.Text, StringComparison.Ordinal);

        await raw.Agent.SendOpenAsync(4, 1 << 20, "echo");
        Assert.Equal(4u, (await raw.Agent.ExpectAsync(TunnelFrameType.OpenAck)).StreamId);
        await raw.Agent.SendAsync(TunnelFrameType.Data, 4, Utf8("fine"));
        Assert.Equal("fine", (await raw.Agent.ExpectAsync(TunnelFrameType.Data)).Text);
        Assert.Equal(1, raw.Session.OpenStreamCount);
    }

    [Fact]
    public async Task OpensBeyondMaxIncomingStreams_AreRefused()
    {
        TunnelOptions options = TunnelSessionPair.Options();
        options.MaxIncomingStreams = 2;
        await using RawAgent raw = await RawAgent.StartAsync(options);

        await raw.Agent.SendOpenAsync(2, 1 << 20, "echo");
        await raw.Agent.SendOpenAsync(4, 1 << 20, "echo");
        await raw.Agent.SendOpenAsync(6, 1 << 20, "echo");

        // Answers to different streams come in any order.
        var answers = new Dictionary<uint, TunnelRawFrame>();
        for (int i = 0; i < 3; i++)
        {
            TunnelRawFrame answer = (await raw.Agent.ReceiveAsync())!.Value;
            answers.Add(answer.StreamId, answer);
        }

        Assert.Equal(TunnelFrameType.OpenAck, answers[2].Type);
        Assert.Equal(TunnelFrameType.OpenAck, answers[4].Type);
        Assert.Equal(TunnelFrameType.Reset, answers[6].Type);
        Assert.Contains("too many streams", answers[6].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOversizedMessage_ClosesTheSessionWith1009_NamingItsSize_AndFailsItsStreams()
    {
        var streamRead = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using RawAgent raw = await RawAgent.StartAsync(handler: async (stream, _) =>
        {
            await using (stream)
            {
                await stream.AcceptAsync();
                try
                {
                    await TunnelWait.ReadToEndAsync(stream);
                    streamRead.SetResult(null);
                }
                catch (IOException e)
                {
                    streamRead.SetResult(e);
                }
            }
        });
        await raw.Agent.SendOpenAsync(2, 1 << 20, "reader");
        await raw.Agent.ExpectAsync(TunnelFrameType.OpenAck);

        await raw.Agent.SendMessageAsync(TunnelRawPeer.Frame(TunnelFrameType.Data, 2, new byte[70_000 - TunnelFrame.HeaderSize]));

        string reason = await raw.Run.WaitAsync(Prompt);
        Assert.Equal("frame of 70000 bytes over the 65536 limit", reason);
        Assert.Null(await raw.Agent.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, raw.Agent.CloseStatus);
        Assert.Equal(reason, raw.Agent.CloseDescription);
        Assert.IsType<IOException>(await streamRead.Task.WaitAsync(Prompt));
        Assert.True(raw.Log.Contains("status 1009: frame of 70000 bytes over the 65536 limit"));
        Assert.False(raw.Session.IsRunning);
    }

    [Fact]
    public async Task AnOversizedMessage_BetweenTwoSessions_FailsEveryStreamOnBothSides()
    {
        // A misconfigured agent sends larger frames than the server takes.
        var agentRead = new TaskCompletionSource<Task<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, target) =>
        {
            await stream.AcceptAsync();
            if (target.Span.SequenceEqual("big"u8))
            {
                await stream.WriteAsync(new byte[100_000]);
            }
            else
            {
                agentRead.SetResult(stream.ReadAsync(new byte[10]).AsTask());
            }
        }, agentOptions: TunnelSessionPair.Options(maxMessageSize: 128 * 1024));
        await using TunnelStream quiet = await pair.Server.OpenStreamAsync(Utf8("quiet"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        Task<int> serverRead = quiet.ReadAsync(new byte[10]).AsTask();
        Task<int> pendingAgentRead = await agentRead.Task.WaitAsync(TunnelWait.Bound);

        var watch = Stopwatch.StartNew();
        await using TunnelStream big = await pair.Server.OpenStreamAsync(Utf8("big"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);

        Assert.Contains("over the 65536 limit", await pair.ServerRun.WaitAsync(Prompt), StringComparison.Ordinal);
        Assert.Contains("closed by peer (1009", await pair.AgentRun.WaitAsync(Prompt), StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => serverRead.WaitAsync(Prompt));
        await Assert.ThrowsAsync<IOException>(() => pendingAgentRead.WaitAsync(Prompt));
        await Assert.ThrowsAsync<IOException>(() => big.ReadAsync(new byte[10]).AsTask().WaitAsync(Prompt));
        Assert.True(watch.Elapsed < Prompt, $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task ATextMessage_ClosesTheSessionWith1003()
    {
        await using RawAgent raw = await RawAgent.StartAsync();

        await raw.Agent.SendMessageAsync(Utf8("{\"hello\":1}"), WebSocketMessageType.Text);

        Assert.Equal("text message", await raw.Run.WaitAsync(Prompt));
        Assert.Null(await raw.Agent.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, raw.Agent.CloseStatus);
    }

    [Fact]
    public async Task AMessageShorterThanAHeader_ClosesTheSessionWith1002()
    {
        await using RawAgent raw = await RawAgent.StartAsync();

        await raw.Agent.SendMessageAsync([3, 0, 0]);

        Assert.Contains("shorter than a frame header", await raw.Run.WaitAsync(Prompt), StringComparison.Ordinal);
        Assert.Null(await raw.Agent.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.ProtocolError, raw.Agent.CloseStatus);
    }

    [Fact]
    public async Task AFrameOfAnUnknownType_IsIgnored()
    {
        await using RawAgent raw = await RawAgent.StartAsync();

        await raw.Agent.SendMessageAsync([200, 0, 0, 0, 0, 1, 2, 3]);

        await raw.Agent.ExpectAliveAsync();
        Assert.True(raw.Log.Contains("unknown type 200"));
    }

    /// <summary>A server session with an echo handler, and a raw agent on the other end of its WebSocket.</summary>
    private sealed class RawAgent : IAsyncDisposable
    {
        private RawAgent(TunnelSession session, TunnelRawPeer agent, TestLogger log)
        {
            Session = session;
            Agent = agent;
            Log = log;
            Run = session.RunAsync(CancellationToken.None);
            agent.Start();
        }

        public TunnelSession Session { get; }

        public TunnelRawPeer Agent { get; }

        public TestLogger Log { get; }

        public Task<string> Run { get; }

        public static async Task<RawAgent> StartAsync(TunnelOptions? options = null, Func<TunnelStream, ReadOnlyMemory<byte>, Task>? handler = null)
        {
            TunnelSocketPair sockets = await TunnelSocketPair.CreateAsync();
            var log = new TestLogger();
            var session = new TunnelSession(sockets.Server, isServer: true, options ?? TunnelSessionPair.Options(), log)
            {
                StreamOpened = handler ?? EchoAsync,
            };
            return new RawAgent(session, new TunnelRawPeer(sockets.Client), log);
        }

        public async ValueTask DisposeAsync()
        {
            await Session.DisposeAsync().AsTask().WaitAsync(TunnelWait.Bound);
            await Run.WaitAsync(TunnelWait.Bound);
        }
    }
}
