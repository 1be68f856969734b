using System.Diagnostics;
using System.Text;
using Appliance.Clusters.Tunnel;
using static Appliance.Clusters.Tests.TunnelStreams;

namespace Appliance.Clusters.Tests;

/// <summary>Streams through a real WebSocket between a server session and an agent session: opening, data, closing.</summary>
public sealed class TunnelSessionTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task OpenStream_AcceptedByThePeer_CarriesTheTargetAndBytesBothWays()
    {
        var targets = new List<string>();
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync((stream, target) =>
        {
            lock (targets)
            {
                targets.Add(Encoding.UTF8.GetString(target.Span));
            }

            return EchoAsync(stream, target);
        });

        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("kube-api"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        byte[] message = RandomBytes(300_000, seed: 1);
        byte[] answer = await ExchangeAsync(stream, message);

        Assert.Equal(message, answer);
        Assert.Equal(["kube-api"], targets);
        Assert.Equal(1u, stream.Id % 2);
        Assert.False(stream.IsIncoming);
        await TunnelWait.UntilAsync(() => pair.Server.OpenStreamCount == 0 && pair.Agent.OpenStreamCount == 0, "both sides forgot the closed stream");
    }

    [Fact]
    public async Task HalfClose_ByTheOpener_ThePeerReadsTheEndAndKeepsSending()
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, _) =>
        {
            await using (stream)
            {
                await stream.AcceptAsync();
                received.SetResult(await TunnelWait.ReadToEndAsync(stream));

                // The opener has closed its side; this side still sends, in several writes.
                for (int i = 0; i < 5; i++)
                {
                    await stream.WriteAsync(Utf8($"reply {i};"));
                }

                await stream.ShutdownWriteAsync();
            }
        });

        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        await stream.WriteAsync(Utf8("request"));
        await stream.ShutdownWriteAsync();

        Assert.Equal("request", Encoding.UTF8.GetString(await received.Task.WaitAsync(TunnelWait.Bound)));
        Assert.Equal("reply 0;reply 1;reply 2;reply 3;reply 4;", Encoding.UTF8.GetString(await TunnelWait.ReadToEndAsync(stream)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.WriteAsync(Utf8("late")).AsTask());
    }

    [Fact]
    public async Task HalfClose_ByTheAcceptor_TheOpenerReadsTheEndAndKeepsSending()
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, _) =>
        {
            await using (stream)
            {
                await stream.AcceptAsync();
                await stream.WriteAsync(Utf8("banner"));
                await stream.ShutdownWriteAsync();
                received.SetResult(await TunnelWait.ReadToEndAsync(stream));
            }
        });

        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        Assert.Equal("banner", Encoding.UTF8.GetString(await TunnelWait.ReadToEndAsync(stream)));
        Assert.Equal(0, await stream.ReadAsync(new byte[10]));

        byte[] upload = RandomBytes(200_000, seed: 2);
        await stream.WriteAsync(upload);
        await stream.ShutdownWriteAsync();

        Assert.Equal(upload, await received.Task.WaitAsync(TunnelWait.Bound));
        await TunnelWait.UntilAsync(() => pair.Server.OpenStreamCount == 0 && pair.Agent.OpenStreamCount == 0, "both sides forgot the closed stream");
    }

    [Fact]
    public async Task Dispose_BeforeBothSidesClosed_ResetsTheStreamForThePeer()
    {
        var accepted = new TaskCompletionSource<TunnelStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, _) =>
        {
            await stream.AcceptAsync();
            accepted.SetResult(stream);
        });

        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        TunnelStream agentSide = await accepted.Task.WaitAsync(TunnelWait.Bound);
        Task<int> pendingRead = stream.ReadAsync(new byte[10]).AsTask();

        await agentSide.DisposeAsync();

        IOException failure = await Assert.ThrowsAsync<IOException>(() => pendingRead.WaitAsync(Prompt));
        Assert.Contains("reset", failure.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(Utf8("x")).AsTask().WaitAsync(Prompt));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => agentSide.ReadAsync(new byte[1]).AsTask());
        await TunnelWait.UntilAsync(() => pair.Server.OpenStreamCount == 0 && pair.Agent.OpenStreamCount == 0, "both sides forgot the reset stream");
    }

    [Fact]
    public async Task Reject_WithAReason_TheOpenerGetsAnIOExceptionCarryingIt()
    {
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, target) =>
        {
            await using (stream)
            {
                await stream.RejectAsync("no route to " + Encoding.UTF8.GetString(target.Span));
            }
        });

        IOException failure = await Assert.ThrowsAsync<IOException>(() => pair.Server.OpenStreamAsync(Utf8("10.0.0.1:6443"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound));

        Assert.Contains("no route to 10.0.0.1:6443", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, pair.Server.OpenStreamCount);
        Assert.True(pair.Server.IsRunning);
    }

    [Fact]
    public async Task AnswerAfterTheOpenerGaveUp_RejectDoesNothing_AcceptThrows()
    {
        TunnelOptions serverOptions = TunnelSessionPair.Options();
        serverOptions.OpenTimeout = TimeSpan.FromMilliseconds(200);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, target) =>
        {
            await using (stream)
            {
                await release.Task;
                try
                {
                    if (target.Span.SequenceEqual("reject"u8))
                    {
                        await stream.RejectAsync("too late");
                    }
                    else
                    {
                        await stream.AcceptAsync();
                    }

                    answered.SetResult(null);
                }
                catch (IOException e)
                {
                    answered.SetResult(e);
                }
            }
        }, serverOptions);

        await Assert.ThrowsAsync<IOException>(() => pair.Server.OpenStreamAsync(Utf8("reject"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound));
        await TunnelWait.UntilAsync(() => pair.Agent.OpenStreamCount == 0, "the agent saw the opener's Reset");
        release.SetResult();
        Assert.Null(await answered.Task.WaitAsync(TunnelWait.Bound));

        release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        answered = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await Assert.ThrowsAsync<IOException>(() => pair.Server.OpenStreamAsync(Utf8("accept"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound));
        await TunnelWait.UntilAsync(() => pair.Agent.OpenStreamCount == 0, "the agent saw the opener's Reset");
        release.SetResult();
        Assert.IsType<IOException>(await answered.Task.WaitAsync(TunnelWait.Bound));
        Assert.False(pair.AgentLog.Contains("open handler failed"));
    }

    [Fact]
    public async Task Open_WithoutAHandler_IsRefused()
    {
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(agentHandler: null);

        IOException failure = await Assert.ThrowsAsync<IOException>(() => pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound));

        Assert.Contains("accepts no streams", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_WhoseHandlerThrowsOrNeverAnswers_IsReset_AndTheSessionGoesOn()
    {
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync((stream, target) => Encoding.UTF8.GetString(target.Span) switch
        {
            "throw" => throw new InvalidOperationException("handler bug"),
            "ignore" => Task.CompletedTask,
            _ => EchoAsync(stream, target),
        });

        IOException thrown = await Assert.ThrowsAsync<IOException>(() => pair.Server.OpenStreamAsync(Utf8("throw"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound));
        IOException ignored = await Assert.ThrowsAsync<IOException>(() => pair.Server.OpenStreamAsync(Utf8("ignore"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound));
        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("echo"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);

        Assert.Contains("handler failed", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("did not accept", ignored.Message, StringComparison.Ordinal);
        Assert.Equal("still here", Encoding.UTF8.GetString(await ExchangeAsync(stream, Utf8("still here"))));
        Assert.True(pair.AgentLog.Contains("open handler failed"));
    }

    [Fact]
    public async Task BothSidesOpenAtOnce_EachWithItsOwnIdParity_AndEveryStreamWorks()
    {
        TunnelSessionPair pair = await TunnelSessionPair.CreateAsync();
        await using (pair)
        {
            pair.Server.StreamOpened = EchoAsync;
            pair.Agent.StreamOpened = EchoAsync;
            pair.Start();

            var exchanges = new List<Task<(uint Id, bool FromServer)>>();
            for (int i = 0; i < 20; i++)
            {
                exchanges.Add(OpenAndEchoAsync(pair.Server, i, fromServer: true));
                exchanges.Add(OpenAndEchoAsync(pair.Agent, i, fromServer: false));
            }

            (uint Id, bool FromServer)[] streams = await Task.WhenAll(exchanges).WaitAsync(TunnelWait.Bound);

            foreach ((uint id, bool fromServer) in streams)
            {
                Assert.Equal(fromServer ? 1u : 0u, id % 2);
            }

            Assert.Equal(40, streams.Length);
            await TunnelWait.UntilAsync(() => pair.Server.OpenStreamCount == 0 && pair.Agent.OpenStreamCount == 0, "every stream finished");
        }

        static async Task<(uint, bool)> OpenAndEchoAsync(TunnelSession session, int index, bool fromServer)
        {
            await using TunnelStream stream = await session.OpenStreamAsync(Utf8($"echo {index}"), CancellationToken.None);
            byte[] message = RandomBytes(10_000 + index, seed: index + (fromServer ? 100 : 200));
            Assert.Equal(message, await ExchangeAsync(stream, message));
            return (stream.Id, fromServer);
        }
    }

    [Fact]
    public async Task StreamIds_WrapAroundAtTheTopOfTheirRange_KeepingEachSidesParity()
    {
        TunnelSessionPair pair = await TunnelSessionPair.CreateAsync();
        await using (pair)
        {
            pair.Server.StreamOpened = EchoAsync;
            pair.Agent.StreamOpened = EchoAsync;
            pair.Server.NextStreamId = uint.MaxValue;
            pair.Agent.NextStreamId = uint.MaxValue - 1;
            pair.Start();

            Assert.Equal(uint.MaxValue, await OpenAndEchoAsync(pair.Server));
            Assert.Equal(1u, await OpenAndEchoAsync(pair.Server));
            Assert.Equal(uint.MaxValue - 1, await OpenAndEchoAsync(pair.Agent));
            Assert.Equal(2u, await OpenAndEchoAsync(pair.Agent));
        }

        static async Task<uint> OpenAndEchoAsync(TunnelSession session)
        {
            await using TunnelStream stream = await session.OpenStreamAsync(Utf8("echo"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
            Assert.Equal(Utf8("id"), await ExchangeAsync(stream, Utf8("id")));
            return stream.Id;
        }
    }

    [Fact]
    public async Task ControlMessages_ArriveInOrder_BothWays()
    {
        TunnelSessionPair pair = await TunnelSessionPair.CreateAsync();
        await using (pair)
        {
            var atServer = new List<string>();
            var atAgent = new List<string>();
            pair.Server.ControlReceived = message => Record(atServer, message);
            pair.Agent.ControlReceived = message => Record(atAgent, message);
            pair.Start();

            for (int i = 0; i < 10; i++)
            {
                await pair.Agent.SendControlAsync(Utf8($"status {i}"), CancellationToken.None);
                await pair.Server.SendControlAsync(Utf8($"command {i}"), CancellationToken.None);
            }

            await TunnelWait.UntilAsync(() => Count(atServer) == 10 && Count(atAgent) == 10, "every control message arrived");
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"status {i}"), atServer);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"command {i}"), atAgent);
        }

        static ValueTask Record(List<string> list, ReadOnlyMemory<byte> message)
        {
            lock (list)
            {
                list.Add(Encoding.UTF8.GetString(message.Span));
            }

            return ValueTask.CompletedTask;
        }

        static int Count(List<string> list)
        {
            lock (list)
            {
                return list.Count;
            }
        }
    }

    [Fact]
    public async Task OpenStream_ThePeerNeverAnswers_FailsAfterTheOpenTimeout_AndResetsTheStream()
    {
        TunnelSocketPair sockets = await TunnelSocketPair.CreateAsync();
        TunnelOptions options = TunnelSessionPair.Options();
        options.OpenTimeout = TimeSpan.FromMilliseconds(300);
        await using var session = new TunnelSession(sockets.Server, isServer: true, options, new TestLogger());
        Task<string> run = session.RunAsync(CancellationToken.None);
        TunnelRawPeer agent = new TunnelRawPeer(sockets.Client).Start();

        var watch = Stopwatch.StartNew();
        IOException failure = await Assert.ThrowsAsync<IOException>(() => session.OpenStreamAsync(Utf8("api"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound));
        watch.Stop();

        TunnelRawFrame open = await agent.ExpectAsync(TunnelFrameType.Open);
        Assert.Equal((uint)options.InitialWindow, open.UInt32);
        Assert.Equal("api", Encoding.UTF8.GetString(open.Payload.AsSpan(4)));
        TunnelRawFrame reset = await agent.ExpectAsync(TunnelFrameType.Reset);
        Assert.Equal(open.StreamId, reset.StreamId);
        Assert.Contains("did not answer", failure.Message, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        Assert.Equal(0, session.OpenStreamCount);
        await agent.ExpectAliveAsync();
        Assert.False(run.IsCompleted);
    }

    [Fact]
    public async Task OpenStream_Cancelled_ThrowsOperationCanceled_AndResetsTheStream()
    {
        TunnelSocketPair sockets = await TunnelSocketPair.CreateAsync();
        await using var session = new TunnelSession(sockets.Server, isServer: true, TunnelSessionPair.Options(), new TestLogger());
        Task<string> run = session.RunAsync(CancellationToken.None);
        TunnelRawPeer agent = new TunnelRawPeer(sockets.Client).Start();
        using var cancellation = new CancellationTokenSource();

        ValueTask<TunnelStream> opening = session.OpenStreamAsync(Utf8("api"), cancellation.Token);
        TunnelRawFrame open = await agent.ExpectAsync(TunnelFrameType.Open);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => opening.AsTask().WaitAsync(TunnelWait.Bound));
        Assert.Equal(open.StreamId, (await agent.ExpectAsync(TunnelFrameType.Reset)).StreamId);
        Assert.Equal(0, session.OpenStreamCount);
    }

    [Fact]
    public async Task ZeroByteRead_WaitsForData_AndConsumesNothing()
    {
        var accepted = new TaskCompletionSource<TunnelStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, _) =>
        {
            await stream.AcceptAsync();
            accepted.SetResult(stream);
        });
        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        await using TunnelStream agentSide = await accepted.Task.WaitAsync(TunnelWait.Bound);

        Task<int> zeroByteRead = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        Assert.False(zeroByteRead.IsCompleted);
        await agentSide.WriteAsync(Utf8("data"));

        Assert.Equal(0, await zeroByteRead.WaitAsync(TunnelWait.Bound));
        Assert.Equal("data", Encoding.UTF8.GetString(await TunnelWait.ReadExactlyAsync(stream, 4)));
    }

    [Fact]
    public async Task SynchronousReadAndWrite_Work()
    {
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(EchoAsync);
        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);

        string answer = await Task.Run(() =>
        {
            stream.Write(Utf8("sync "));
            stream.Write(Utf8("bytes").AsSpan());
            stream.Flush();
            byte[] buffer = new byte[10];
            int read = 0;
            while (read < buffer.Length)
            {
                read += stream.Read(buffer.AsSpan(read));
            }

            return Encoding.UTF8.GetString(buffer);
        }).WaitAsync(TunnelWait.Bound);

        Assert.Equal("sync bytes", answer);
        Assert.False(stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => stream.Length);
    }

    [Fact]
    public async Task DisposingTheSession_WithOpenStreams_EndsPendingReadsOnBothSidesPromptly()
    {
        var agentReads = new List<Task<int>>();
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, _) =>
        {
            await stream.AcceptAsync();
            lock (agentReads)
            {
                agentReads.Add(stream.ReadAsync(new byte[10]).AsTask());
            }
        });
        var serverReads = new List<Task<int>>();
        for (int i = 0; i < 3; i++)
        {
            TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
            serverReads.Add(stream.ReadAsync(new byte[10]).AsTask());
        }

        await TunnelWait.UntilAsync(() => { lock (agentReads) { return agentReads.Count == 3; } }, "the agent reads are pending");

        var watch = Stopwatch.StartNew();
        await pair.Server.DisposeAsync().AsTask().WaitAsync(Prompt);

        foreach (Task<int> read in serverReads)
        {
            await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(Prompt));
        }

        foreach (Task<int> read in agentReads)
        {
            await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(Prompt));
        }

        Assert.Equal("disposed", await pair.ServerRun.WaitAsync(Prompt));
        Assert.Contains("closed by peer", await pair.AgentRun.WaitAsync(Prompt), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < Prompt, $"took {watch.Elapsed}");
        Assert.False(pair.Server.IsRunning);
        Assert.False(pair.Agent.IsRunning);
    }

    [Fact]
    public async Task CancellingRun_WithOpenStreams_ClosesTheSocketAndEndsPendingReads()
    {
        var agentRead = new TaskCompletionSource<Task<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, _) =>
        {
            await stream.AcceptAsync();
            agentRead.SetResult(stream.ReadAsync(new byte[10]).AsTask());
        });
        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        Task<int> serverRead = stream.ReadAsync(new byte[10]).AsTask();
        Task<int> pendingAgentRead = await agentRead.Task.WaitAsync(TunnelWait.Bound);

        await pair.AgentCancellation.CancelAsync();

        Assert.Equal("cancelled", await pair.AgentRun.WaitAsync(Prompt));
        Assert.Contains("closed by peer (1000", await pair.ServerRun.WaitAsync(Prompt), StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(() => serverRead.WaitAsync(Prompt));
        await Assert.ThrowsAsync<IOException>(() => pendingAgentRead.WaitAsync(Prompt));
    }

    [Fact]
    public async Task AfterTheSessionEnded_OpenStreamThrowsIOException()
    {
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(EchoAsync);
        await pair.Agent.DisposeAsync();
        await pair.ServerRun.WaitAsync(Prompt);

        await Assert.ThrowsAsync<IOException>(() => pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(Prompt));
        Assert.False(pair.Server.IsRunning);
        Assert.StartsWith("closed by peer", pair.Server.EndReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataReceivedBeforeTheSessionEnded_IsStillRead_ThenTheReadFails()
    {
        var accepted = new TaskCompletionSource<TunnelStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, _) =>
        {
            await stream.AcceptAsync();
            await stream.WriteAsync(Utf8("last words"));
            accepted.SetResult(stream);
        });
        await using TunnelStream stream = await pair.Server.OpenStreamAsync(Utf8("t"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        await accepted.Task.WaitAsync(TunnelWait.Bound);

        await pair.Agent.DisposeAsync();
        await pair.ServerRun.WaitAsync(Prompt);

        Assert.Equal("last words", Encoding.UTF8.GetString(await TunnelWait.ReadExactlyAsync(stream, 10)));
        await Assert.ThrowsAsync<IOException>(() => stream.ReadAsync(new byte[10]).AsTask().WaitAsync(Prompt));
    }
}
