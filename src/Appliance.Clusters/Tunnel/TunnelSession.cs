using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Appliance.Clusters.Tunnel;

/// <summary>
/// One agent's WebSocket as a set of streams (<see cref="TunnelFrame"/> has the protocol). Both ends run
/// one: the server's <c>/v3/connect</c> with <c>isServer: true</c>, the agent with <c>false</c>; either may
/// open streams. <see cref="RunAsync"/> runs the receive loop and the pings until the session ends; the
/// session owns the socket from then on and closes it when it ends.
/// </summary>
/// <remarks>
/// The receive loop never waits for a stream's reader: it copies each Data frame into that stream's buffer,
/// which flow control bounds to one window, and frames it must answer (Pong, WindowUpdate, Reset) go through a
/// queue, sent ahead of the next data frame. Senders take turns on the socket one frame at a time in arrival
/// order (a FIFO lock), so a bulk transfer's frames interleave with every other stream's.
/// </remarks>
public sealed partial class TunnelSession : IAsyncDisposable
{
    private const int Created = 0;
    private const int Running = 1;
    private const int Finished = 2;
    private const int DisposedUnstarted = 3;

    private readonly WebSocket _socket;
    private readonly bool _isServer;
    private readonly TunnelOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    /// <summary>Cancelled when the session ends for good; cancelling it aborts the socket.</summary>
    private readonly CancellationTokenSource _abort;
    private readonly CancellationToken _abortToken;
    private readonly TaskCompletionSource<string> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Lock _streamsLock = new();
    private readonly Dictionary<uint, TunnelStream> _streams = [];
    private uint _nextStreamId;
    private int _incomingStreams;

    /// <summary>Under <see cref="_streamsLock"/>: the session ended and takes no more streams.</summary>
    private bool _streamsClosed;

    /// <summary>Set once, by whatever ends the session first; the session is ending from then on.</summary>
    private string? _endReason;
    private int _runState;
    private long _lastReceivedTimestamp;
    private long _roundTripTicks = -1;

    /// <param name="socket">An open WebSocket; the session closes and disposes it when it ends.</param>
    /// <param name="isServer">The server side opens odd stream ids, the agent side even ones.</param>
    public TunnelSession(WebSocket socket, bool isServer, TunnelOptions options, ILogger logger, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _socket = socket;
        _isServer = isServer;
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider ?? TimeProvider.System;
        MaxPayload = options.MaxMessageSize - TunnelFrame.HeaderSize;
        _sendBuffer = new byte[options.MaxMessageSize];
        _receiveBuffer = new byte[options.MaxMessageSize];
        // Read under the send lock only, but the writer task waits for frames outside it: not a single reader.
        _queue = Channel.CreateUnbounded<TunnelQueuedFrame>();
        _nextStreamId = FirstStreamId;
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _timeProvider);
        _abortToken = _abort.Token;
        _abortToken.UnsafeRegister(static state => ((WebSocket)state!).Abort(), socket);
    }

    /// <summary>
    /// Called for each Open from the peer, on a task of its own (never inline in the receive loop), with the
    /// opener's target. The handler answers with <see cref="TunnelStream.AcceptAsync"/> and then owns the
    /// stream (disposes it), or with <see cref="TunnelStream.RejectAsync"/>. A handler that throws, or whose
    /// task ends without an answer, has the stream reset. Unset: every Open is refused.
    /// </summary>
    public Func<TunnelStream, ReadOnlyMemory<byte>, Task>? StreamOpened { get; set; }

    /// <summary>
    /// Called for each Control message, in order, by the receive loop itself: the memory is valid until the
    /// returned task completes, and the loop (every stream of the session) waits for it, so hand the message
    /// off rather than doing slow work here. An exception is logged and the session goes on.
    /// </summary>
    public Func<ReadOnlyMemory<byte>, ValueTask>? ControlReceived { get; set; }

    /// <summary>The last Ping's round trip; null until the first Pong.</summary>
    public TimeSpan? RoundTripTime
    {
        get
        {
            long ticks = Volatile.Read(ref _roundTripTicks);
            return ticks < 0 ? null : TimeSpan.FromTicks(ticks);
        }
    }

    /// <summary>Streams opened by either side and not yet finished (both closed, reset or failed).</summary>
    public int OpenStreamCount
    {
        get
        {
            lock (_streamsLock)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary><see cref="RunAsync"/> is running and the session is not ending.</summary>
    public bool IsRunning => Volatile.Read(ref _runState) == Running && Volatile.Read(ref _endReason) is null;

    /// <summary>Why the session ended (what <see cref="RunAsync"/> returns), or null while it has not.</summary>
    public string? EndReason => Volatile.Read(ref _endReason);

    /// <summary>The id the next stream this side opens gets (or the next free one after it); tests start near the wrap.</summary>
    internal uint NextStreamId
    {
        get
        {
            lock (_streamsLock)
            {
                return _nextStreamId;
            }
        }

        set
        {
            lock (_streamsLock)
            {
                _nextStreamId = IsLocalStreamId(value) && value != 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "not this side's parity");
            }
        }
    }

    /// <summary>The most payload one Data frame carries.</summary>
    internal int MaxPayload { get; }

    private uint FirstStreamId => _isServer ? 1u : 2u;

    /// <summary>
    /// Receives frames and sends pings until the session ends: the peer closes, the connection drops, the peer
    /// breaks the protocol, pings time out, <paramref name="cancellationToken"/> is cancelled or the session is
    /// disposed (the last two close the WebSocket normally, waiting at most
    /// <see cref="TunnelOptions.CloseTimeout"/>). Open streams fail with IOException. Returns the reason.
    /// Call once.
    /// </summary>
    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        int previous = Interlocked.CompareExchange(ref _runState, Running, Created);
        ObjectDisposedException.ThrowIf(previous == DisposedUnstarted, this);
        if (previous != Created)
        {
            throw new InvalidOperationException("A tunnel session runs once.");
        }

        TunnelLog.SessionStarted(_logger, _isServer ? "server" : "agent");
        Volatile.Write(ref _lastReceivedTimestamp, _timeProvider.GetTimestamp());
        Task writer = WriteQueuedFramesAsync();
        Task pinger = PingAsync();
        string reason = "session failed";
        try
        {
            using (cancellationToken.UnsafeRegister(static state => ((TunnelSession)state!).BeginClose("cancelled", WebSocketCloseStatus.NormalClosure), this))
            {
                reason = await ReceiveLoopAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            Abort(reason);
            reason = _endReason!;
            await writer.ConfigureAwait(false);
            await pinger.ConfigureAwait(false);
            _socket.Dispose();
            Volatile.Write(ref _runState, Finished);
            TunnelLog.SessionEnded(_logger, reason);
            _finished.TrySetResult(reason);
        }

        return reason;
    }

    /// <summary>
    /// Opens a stream to <paramref name="target"/> (opaque to the session; the peer's handler reads it) and
    /// waits for the peer to accept. Throws IOException with the peer's reason when it refuses, when the
    /// session ends, or when no answer comes within <see cref="TunnelOptions.OpenTimeout"/>.
    /// </summary>
    public async ValueTask<TunnelStream> OpenStreamAsync(ReadOnlyMemory<byte> target, CancellationToken cancellationToken)
    {
        if (target.Length > MaxPayload - sizeof(uint))
        {
            throw new ArgumentException($"A target has at most {MaxPayload - sizeof(uint)} bytes.", nameof(target));
        }

        TunnelStream stream;
        lock (_streamsLock)
        {
            if (_streamsClosed)
            {
                throw Ended();
            }

            stream = new TunnelStream(this, AllocateStreamIdLocked(), incoming: false, _options.InitialWindow, sendWindow: 0);
            _streams.Add(stream.Id, stream);
        }

        bool sent = false;
        try
        {
            await SendOpenAsync(stream.Id, (uint)_options.InitialWindow, target, cancellationToken).ConfigureAwait(false);
            sent = true;
            await stream.WaitOpenedAsync(_options.OpenTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch (TimeoutException)
        {
            stream.Abort("no answer to the Open in time");
            throw new IOException($"The peer did not answer the stream's Open within {_options.OpenTimeout.TotalSeconds:0.###} s.");
        }
        catch (OperationCanceledException)
        {
            if (sent)
            {
                stream.Abort("open cancelled");
            }
            else
            {
                Forget(stream);
            }

            throw;
        }
        catch (IOException)
        {
            Forget(stream);
            throw;
        }
    }

    /// <summary>Sends a Control message (at most <see cref="TunnelOptions.MaxMessageSize"/> minus 5 bytes) to the peer.</summary>
    public ValueTask SendControlAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length > MaxPayload)
        {
            throw new ArgumentException($"A control message has at most {MaxPayload} bytes.", nameof(message));
        }

        return SendAsync(TunnelFrameType.Control, TunnelFrame.SessionStreamId, message, cancellationToken);
    }

    /// <summary>
    /// Ends the session: closes the WebSocket normally (bounded by <see cref="TunnelOptions.CloseTimeout"/>),
    /// fails open streams and waits for <see cref="RunAsync"/> to return.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.CompareExchange(ref _runState, DisposedUnstarted, Created) == Created)
        {
            Abort("disposed");
            _socket.Dispose();
            _finished.TrySetResult(_endReason!);
            return;
        }

        BeginClose("disposed", WebSocketCloseStatus.NormalClosure);
        try
        {
            await _finished.Task.WaitAsync(_options.CloseTimeout + _options.CloseTimeout, _timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _abort.Cancel();
        }
    }

    /// <summary>Removes a finished stream from the table (idempotent); later frames for its id are answered with a Reset.</summary>
    internal void Forget(TunnelStream stream)
    {
        lock (_streamsLock)
        {
            if (_streams.TryGetValue(stream.Id, out TunnelStream? current) && ReferenceEquals(current, stream))
            {
                _streams.Remove(stream.Id);
                if (stream.IsIncoming)
                {
                    _incomingStreams--;
                }
            }
        }
    }

    private TunnelStream? FindStream(uint id)
    {
        lock (_streamsLock)
        {
            return _streams.GetValueOrDefault(id);
        }
    }

    private bool IsLocalStreamId(uint id) => (id & 1) == (_isServer ? 1u : 0u);

    /// <summary>The next free id of this side's parity; after 2^31 opens it wraps around, skipping ids in use.</summary>
    private uint AllocateStreamIdLocked()
    {
        while (true)
        {
            uint id = _nextStreamId;
            _nextStreamId = unchecked(id + 2);
            if (_nextStreamId < FirstStreamId)
            {
                _nextStreamId = FirstStreamId;
            }

            if (!_streams.ContainsKey(id))
            {
                return id;
            }
        }
    }

    private bool TrySetEndReason(string reason) => Interlocked.CompareExchange(ref _endReason, reason, null) is null;

    /// <summary>Ends the session at once: streams fail, the socket is aborted (no closing handshake).</summary>
    private void Abort(string reason)
    {
        if (TrySetEndReason(reason))
        {
            FailStreams();
        }

        _abort.Cancel();
    }

    /// <summary>
    /// Ends the session with the WebSocket closing handshake: streams fail now, the Close goes out and the receive
    /// loop reads (and drops) frames until the peer's Close, for at most <see cref="TunnelOptions.CloseTimeout"/>.
    /// </summary>
    private void BeginClose(string reason, WebSocketCloseStatus status)
    {
        if (TrySetEndReason(reason))
        {
            FailStreams();
            _ = SendWebSocketCloseAsync(status, reason);
        }
    }

    private void FailStreams()
    {
        TunnelStream[] streams;
        lock (_streamsLock)
        {
            _streamsClosed = true;
            streams = new TunnelStream[_streams.Count];
            _streams.Values.CopyTo(streams, 0);
            _streams.Clear();
            _incomingStreams = 0;
        }

        string message = "tunnel session ended: " + _endReason;
        foreach (TunnelStream stream in streams)
        {
            stream.Fail(message, discard: false);
        }

        _queue.Writer.TryComplete();
    }

    private IOException Ended() => new("tunnel session ended: " + (Volatile.Read(ref _endReason) ?? "closing"));
}
