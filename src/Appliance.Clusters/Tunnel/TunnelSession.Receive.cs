using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;

namespace Appliance.Clusters.Tunnel;

public sealed partial class TunnelSession
{
    /// <summary>An oversized message is read on (and dropped) up to this many times the limit, to name its size.</summary>
    private const int OversizedScanFactor = 16;

    /// <summary>One message; the receive loop's alone.</summary>
    private readonly byte[] _receiveBuffer;

    private bool IsEnding => Volatile.Read(ref _endReason) is not null;

    /// <summary>
    /// Reads messages until the session ends and returns why. Once the session is ending it goes on reading,
    /// and dropping, until the peer's Close (the closing handshake) or the abort.
    /// </summary>
    private async Task<string> ReceiveLoopAsync()
    {
        byte[] buffer = _receiveBuffer;
        try
        {
            while (true)
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), _abortToken).ConfigureAwait(false);
                    MarkReceived();
                    length += result.Count;
                }
                while (!result.EndOfMessage && length < buffer.Length);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return await OnPeerCloseAsync().ConfigureAwait(false);
                }

                if (!result.EndOfMessage)
                {
                    // The buffer is full and the message goes on: read on, dropping the bytes, to name its size.
                    long total = length;
                    long scanLimit = (long)buffer.Length * OversizedScanFactor;
                    do
                    {
                        result = await _socket.ReceiveAsync(buffer.AsMemory(), _abortToken).ConfigureAwait(false);
                        MarkReceived();
                        if (result.MessageType == WebSocketMessageType.Close)
                        {
                            return await OnPeerCloseAsync().ConfigureAwait(false);
                        }

                        total += result.Count;
                    }
                    while (!result.EndOfMessage && total <= scanLimit);

                    if (total > length)
                    {
                        if (!IsEnding)
                        {
                            RejectMessage(result.EndOfMessage
                                ? $"frame of {total} bytes over the {buffer.Length} limit"
                                : $"frame of more than {total} bytes over the {buffer.Length} limit", WebSocketCloseStatus.MessageTooBig);
                        }

                        continue;
                    }

                    // Exactly the limit, its end read as an empty last fragment: the buffer still holds it whole.
                }

                if (IsEnding)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    RejectMessage("text message", WebSocketCloseStatus.InvalidMessageType);
                    continue;
                }

                if (!TunnelFrame.TryRead(buffer.AsSpan(0, length), out TunnelFrameType type, out uint streamId))
                {
                    RejectMessage($"message of {length} bytes, shorter than a frame header", WebSocketCloseStatus.ProtocolError);
                    continue;
                }

                if (type == TunnelFrameType.Control)
                {
                    await DeliverControlAsync(buffer.AsMemory(TunnelFrame.HeaderSize, length - TunnelFrame.HeaderSize)).ConfigureAwait(false);
                }
                else
                {
                    HandleFrame(type, streamId, buffer.AsSpan(TunnelFrame.HeaderSize, length - TunnelFrame.HeaderSize));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            return Volatile.Read(ref _endReason) ?? "connection lost: " + e.Message;
        }
    }

    private void MarkReceived() => Volatile.Write(ref _lastReceivedTimestamp, _timeProvider.GetTimestamp());

    /// <summary>A message the protocol does not allow ends the session with a Close of <paramref name="status"/>.</summary>
    private void RejectMessage(string reason, WebSocketCloseStatus status)
    {
        TunnelLog.ProtocolError(_logger, (int)status, reason);
        BeginClose(reason, status);
    }

    private async Task<string> OnPeerCloseAsync()
    {
        int status = (int)(_socket.CloseStatus ?? WebSocketCloseStatus.Empty);
        string? description = _socket.CloseStatusDescription;
        if (TrySetEndReason(string.IsNullOrEmpty(description) ? $"closed by peer ({status})" : $"closed by peer ({status} {description})"))
        {
            FailStreams();
        }

        // Completes the handshake; does nothing when this side's Close already went out.
        await SendWebSocketCloseAsync(WebSocketCloseStatus.NormalClosure, "").ConfigureAwait(false);
        return _endReason!;
    }

    private async ValueTask DeliverControlAsync(ReadOnlyMemory<byte> message)
    {
        if (ControlReceived is not { } handler)
        {
            return;
        }

        try
        {
            await handler(message).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The handler is the owner's code: whatever it throws must not end the session.
            TunnelLog.ControlHandlerFailed(_logger, e);
        }
    }

    /// <summary>Every frame but Control. Never waits: stream buffers are bounded by their windows, answers are queued.</summary>
    private void HandleFrame(TunnelFrameType type, uint streamId, ReadOnlySpan<byte> payload)
    {
        TunnelStream? stream;
        switch (type)
        {
            case TunnelFrameType.Data:
                if ((stream = FindStream(streamId)) is null)
                {
                    AnswerUnknownStream(type, streamId);
                }
                else if (stream.ReceiveData(payload) is { } violation)
                {
                    ResetStream(stream, violation);
                }

                break;

            case TunnelFrameType.Close:
                if ((stream = FindStream(streamId)) is null)
                {
                    AnswerUnknownStream(type, streamId);
                }
                else if (stream.ReceiveClose(out bool finished) is { } violation)
                {
                    ResetStream(stream, violation);
                }
                else if (finished)
                {
                    Forget(stream);
                }

                break;

            case TunnelFrameType.WindowUpdate:
                if ((stream = FindStream(streamId)) is null)
                {
                    AnswerUnknownStream(type, streamId);
                }
                else if (payload.Length != sizeof(uint))
                {
                    ResetStream(stream, $"WindowUpdate of {payload.Length} bytes");
                }
                else if (stream.ReceiveWindowUpdate(BinaryPrimitives.ReadUInt32BigEndian(payload)) is { } violation)
                {
                    ResetStream(stream, violation);
                }

                break;

            case TunnelFrameType.OpenAck:
                if ((stream = FindStream(streamId)) is null)
                {
                    AnswerUnknownStream(type, streamId);
                }
                else if (payload.Length < sizeof(uint))
                {
                    ResetStream(stream, $"OpenAck of {payload.Length} bytes");
                }
                else if (stream.ReceiveOpenAck(BinaryPrimitives.ReadUInt32BigEndian(payload)) is { } violation)
                {
                    ResetStream(stream, violation);
                }

                break;

            case TunnelFrameType.Reset:
                // Never answered, not even for an unknown stream: two sides must not reset each other forever.
                if ((stream = FindStream(streamId)) is not null)
                {
                    stream.Fail("stream reset by the peer: " + Encoding.UTF8.GetString(payload), discard: true);
                    Forget(stream);
                }

                break;

            case TunnelFrameType.Open:
                HandleOpen(streamId, payload);
                break;

            case TunnelFrameType.Ping:
                if (payload.Length == sizeof(long))
                {
                    _queue.Writer.TryWrite(new TunnelQueuedFrame(TunnelFrameType.Pong, TunnelFrame.SessionStreamId, BinaryPrimitives.ReadInt64BigEndian(payload), null));
                }

                break;

            case TunnelFrameType.Pong:
                if (payload.Length == sizeof(long))
                {
                    TimeSpan roundTrip = _timeProvider.GetElapsedTime(BinaryPrimitives.ReadInt64BigEndian(payload));
                    if (roundTrip >= TimeSpan.Zero)
                    {
                        Volatile.Write(ref _roundTripTicks, roundTrip.Ticks);
                    }
                }

                break;

            default:
                TunnelLog.UnknownFrameType(_logger, (byte)type, streamId);
                break;
        }
    }

    /// <summary>
    /// The peer's Open: a new stream handed to <see cref="StreamOpened"/> on a task of its own, or a Reset. An id of
    /// this side's parity or one in use resets that id on both sides (the peer has lost track of its streams).
    /// </summary>
    private void HandleOpen(uint streamId, ReadOnlySpan<byte> payload)
    {
        string? refusal = null;
        TunnelStream? stream = null;
        TunnelStream? clash = null;
        lock (_streamsLock)
        {
            if (_streamsClosed)
            {
                return;
            }

            if (payload.Length < sizeof(uint))
            {
                refusal = $"Open of {payload.Length} bytes";
            }
            else if (streamId == TunnelFrame.SessionStreamId || IsLocalStreamId(streamId))
            {
                refusal = $"stream id {streamId} is not the opener's to use";
                _streams.Remove(streamId, out clash);
            }
            else if (_streams.Remove(streamId, out clash))
            {
                refusal = $"stream id {streamId} is already in use";
            }
            else if (_incomingStreams >= _options.MaxIncomingStreams)
            {
                refusal = $"too many streams (at most {_options.MaxIncomingStreams})";
            }
            else
            {
                stream = new TunnelStream(this, streamId, incoming: true, _options.InitialWindow, BinaryPrimitives.ReadUInt32BigEndian(payload));
                _streams.Add(streamId, stream);
                _incomingStreams++;
            }

            if (clash is { IsIncoming: true })
            {
                _incomingStreams--;
            }
        }

        if (refusal is not null)
        {
            TunnelLog.StreamProtocolError(_logger, streamId, refusal);
            clash?.Fail("stream reset: " + refusal, discard: true);
            QueueReset(streamId, refusal);
            return;
        }

        if (StreamOpened is not { } handler)
        {
            Forget(stream!);
            TunnelLog.StreamRefused(_logger, streamId, "no handler for streams the peer opens");
            QueueReset(streamId, "this side accepts no streams");
            return;
        }

        byte[] target = payload[sizeof(uint)..].ToArray();
        _ = Task.Run(() => RunOpenHandlerAsync(handler, stream!, target));
    }

    private async Task RunOpenHandlerAsync(Func<TunnelStream, ReadOnlyMemory<byte>, Task> handler, TunnelStream stream, byte[] target)
    {
        try
        {
            await handler(stream, target).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The handler is the owner's code: whatever it throws ends its stream, not the session.
            TunnelLog.OpenHandlerFailed(_logger, stream.Id, e);
            stream.Abort("the open handler failed");
            return;
        }

        if (stream.IsUnanswered)
        {
            stream.Abort("the open handler did not accept the stream");
        }
    }

    private void ResetStream(TunnelStream stream, string violation)
    {
        TunnelLog.StreamProtocolError(_logger, stream.Id, violation);
        stream.Abort(violation);
    }

    private void AnswerUnknownStream(TunnelFrameType type, uint streamId)
    {
        TunnelLog.UnknownStream(_logger, type, streamId);
        QueueReset(streamId, "unknown stream");
    }
}
