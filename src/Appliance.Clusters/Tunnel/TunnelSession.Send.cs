using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace Appliance.Clusters.Tunnel;

public sealed partial class TunnelSession
{
    /// <summary>Queued frames sent per turn on the socket, so a burst of them cannot hold it for long.</summary>
    private const int QueuedFramesPerTurn = 64;

    /// <summary>Reset reasons are cut to this many characters (3 bytes each at most): well within the smallest message.</summary>
    private const int MaxReasonLength = 256;

    /// <summary>WebSocket close descriptions have at most 123 bytes (RFC 6455 section 5.5: control frames carry 125).</summary>
    private const int MaxCloseDescriptionLength = 120;

    /// <summary>Used under <see cref="_sendLock"/>: one frame composed at a time, sent as one message.</summary>
    private readonly byte[] _sendBuffer;

    /// <summary>
    /// One sender on the socket at a time. SemaphoreSlim serves async waiters in arrival order, and every sender
    /// takes it per frame, so a bulk stream queues behind the others for each of its frames instead of holding
    /// the socket for a whole write.
    /// </summary>
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    /// <summary>
    /// Frames the receive loop, readers and Dispose hand off without waiting. Whoever holds the send lock sends
    /// them ahead of its own frame; a writer task sends them when nobody else is sending.
    /// </summary>
    private readonly Channel<TunnelQueuedFrame> _queue;

    /// <summary>Under <see cref="_sendLock"/>: the WebSocket Close went out and nothing may follow it.</summary>
    private bool _closeSent;

    internal ValueTask SendDataAsync(uint streamId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        => SendAsync(TunnelFrameType.Data, streamId, payload, cancellationToken);

    internal ValueTask SendCloseAsync(uint streamId)
        => SendAsync(TunnelFrameType.Close, streamId, ReadOnlyMemory<byte>.Empty, CancellationToken.None);

    internal ValueTask SendOpenAckAsync(uint streamId, uint window, CancellationToken cancellationToken)
        => SendAsync(TunnelFrameType.OpenAck, streamId, withValue: true, window, ReadOnlyMemory<byte>.Empty, cancellationToken);

    internal void QueueReset(uint streamId, string reason)
        => _queue.Writer.TryWrite(new TunnelQueuedFrame(TunnelFrameType.Reset, streamId, 0, reason));

    internal void QueueWindowUpdate(uint streamId, uint increment)
        => _queue.Writer.TryWrite(new TunnelQueuedFrame(TunnelFrameType.WindowUpdate, streamId, increment, null));

    private ValueTask SendOpenAsync(uint streamId, uint window, ReadOnlyMemory<byte> target, CancellationToken cancellationToken)
        => SendAsync(TunnelFrameType.Open, streamId, withValue: true, window, target, cancellationToken);

    private ValueTask SendAsync(TunnelFrameType type, uint streamId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        => SendAsync(type, streamId, withValue: false, 0, payload, cancellationToken);

    /// <summary>
    /// Waits for the socket (<paramref name="cancellationToken"/> cancels only that wait: a WebSocket send cannot
    /// be cancelled without aborting the socket), then sends one frame. IOException once the session is ending.
    /// </summary>
    private async ValueTask SendAsync(TunnelFrameType type, uint streamId, bool withValue, uint value, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closeSent || Volatile.Read(ref _endReason) is not null)
            {
                throw Ended();
            }

            // Queued frames first: a WindowUpdate or a Pong waits for one frame on the socket, not for every
            // sender queued on the lock (HTTP/2 sends WINDOW_UPDATE and PING ahead of data for the same reason).
            await SendQueuedFramesAsync().ConfigureAwait(false);
            int length = withValue
                ? TunnelFrame.Write(_sendBuffer, type, streamId, value, payload.Span)
                : TunnelFrame.Write(_sendBuffer, type, streamId, payload.Span);
            await SendBufferedAsync(length).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends the first <paramref name="length"/> bytes of the send buffer; under the send lock.</summary>
    private async ValueTask SendBufferedAsync(int length)
    {
        try
        {
            await _socket.SendAsync(_sendBuffer.AsMemory(0, length), WebSocketMessageType.Binary, endOfMessage: true, _abortToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The socket is unusable. When the session was already ending (the abort token fired) this changes nothing.
            Abort("send failed: " + e.Message);
            throw Ended();
        }
    }

    /// <summary>Sends the queued frames until the session ends.</summary>
    private async Task WriteQueuedFramesAsync()
    {
        ChannelReader<TunnelQueuedFrame> reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_abortToken).ConfigureAwait(false))
            {
                await _sendLock.WaitAsync(_abortToken).ConfigureAwait(false);
                try
                {
                    if (_closeSent)
                    {
                        return;
                    }

                    await SendQueuedFramesAsync().ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The session is ending; whoever ended it has said why.
        }
    }

    /// <summary>Sends queued frames, a bounded number per turn; under the send lock.</summary>
    private async ValueTask SendQueuedFramesAsync()
    {
        ChannelReader<TunnelQueuedFrame> reader = _queue.Reader;
        for (int turn = 0; turn < QueuedFramesPerTurn && reader.TryRead(out TunnelQueuedFrame frame); turn++)
        {
            // A stream finished since its reader asked for more: the peer sends nothing more on it.
            if (frame.Type == TunnelFrameType.WindowUpdate && FindStream(frame.StreamId) is null)
            {
                continue;
            }

            await SendBufferedAsync(Compose(frame)).ConfigureAwait(false);
        }
    }

    private int Compose(in TunnelQueuedFrame frame)
    {
        switch (frame.Type)
        {
            case TunnelFrameType.WindowUpdate:
                return TunnelFrame.Write(_sendBuffer, frame.Type, frame.StreamId, (uint)frame.Value, ReadOnlySpan<byte>.Empty);
            case TunnelFrameType.Ping:
            case TunnelFrameType.Pong:
                return TunnelFrame.Write(_sendBuffer, frame.Type, TunnelFrame.SessionStreamId, frame.Value);
            default:
                string reason = frame.Reason ?? "";
                TunnelFrame.WriteHeader(_sendBuffer, frame.Type, frame.StreamId);
                return TunnelFrame.HeaderSize + Encoding.UTF8.GetBytes(reason.AsSpan(0, Math.Min(reason.Length, MaxReasonLength)), _sendBuffer.AsSpan(TunnelFrame.HeaderSize));
        }
    }

    /// <summary>
    /// Pings every <see cref="TunnelOptions.PingInterval"/> (the first at once, so the round trip is known early)
    /// and ends the session when nothing at all has arrived for <see cref="TunnelOptions.PingTimeout"/>. Pings go
    /// through the queue: a socket stuck sending must not keep this loop from noticing the silence.
    /// </summary>
    private async Task PingAsync()
    {
        long lastPing = 0;
        bool pinged = false;
        try
        {
            while (Volatile.Read(ref _endReason) is null)
            {
                long now = _timeProvider.GetTimestamp();
                TimeSpan silence = _timeProvider.GetElapsedTime(Volatile.Read(ref _lastReceivedTimestamp), now);
                if (silence >= _options.PingTimeout)
                {
                    TunnelLog.PingTimeout(_logger, silence);
                    Abort($"ping timeout: nothing received for {silence.TotalSeconds:0.###} s");
                    return;
                }

                TimeSpan sincePing = pinged ? _timeProvider.GetElapsedTime(lastPing, now) : _options.PingInterval;
                if (sincePing >= _options.PingInterval)
                {
                    _queue.Writer.TryWrite(new TunnelQueuedFrame(TunnelFrameType.Ping, TunnelFrame.SessionStreamId, now, null));
                    lastPing = now;
                    pinged = true;
                    sincePing = TimeSpan.Zero;
                }

                TimeSpan untilPing = _options.PingInterval - sincePing;
                TimeSpan untilTimeout = _options.PingTimeout - silence;
                await Task.Delay(untilPing < untilTimeout ? untilPing : untilTimeout, _timeProvider, _abortToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended.
        }
    }

    /// <summary>
    /// The WebSocket Close, once (this side's first or its answer to the peer's). From here the whole closing
    /// handshake is bounded by <see cref="TunnelOptions.CloseTimeout"/>: then the socket is aborted.
    /// </summary>
    private async Task SendWebSocketCloseAsync(WebSocketCloseStatus status, string description)
    {
        _abort.CancelAfter(_options.CloseTimeout);
        bool entered = false;
        try
        {
            await _sendLock.WaitAsync(_abortToken).ConfigureAwait(false);
            entered = true;
            if (_closeSent)
            {
                return;
            }

            _closeSent = true;
            if (description.Length > MaxCloseDescriptionLength)
            {
                description = description[..MaxCloseDescriptionLength];
            }

            await _socket.CloseOutputAsync(status, description, _abortToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            _abort.Cancel();
        }
        finally
        {
            if (entered)
            {
                _sendLock.Release();
            }
        }
    }
}
