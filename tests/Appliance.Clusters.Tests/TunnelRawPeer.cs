using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Appliance.Clusters.Tunnel;

namespace Appliance.Clusters.Tests;

/// <summary>One raw frame as the peer sees it.</summary>
internal readonly record struct TunnelRawFrame(TunnelFrameType Type, uint StreamId, byte[] Payload)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    public uint UInt32 => BinaryPrimitives.ReadUInt32BigEndian(Payload);
}

/// <summary>
/// The other end of a session as bare frames on a real WebSocket: to break the protocol on purpose, or to watch
/// exactly what the session sends. <see cref="Start"/> pumps received frames into a queue (answering Pings and
/// the closing handshake like a well-behaved peer); without it nothing is read at all.
/// </summary>
internal sealed class TunnelRawPeer(WebSocket socket)
{
    private readonly Channel<TunnelRawFrame> _frames = Channel.CreateUnbounded<TunnelRawFrame>();

    /// <summary>The pump's Pongs and the test's frames: one send at a time on a WebSocket.</summary>
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task _pump = Task.CompletedTask;

    public WebSocket Socket { get; } = socket;

    /// <summary>The close status the session sent, once the pump has seen it.</summary>
    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public string? CloseDescription { get; private set; }

    public static byte[] Frame(TunnelFrameType type, uint streamId, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[TunnelFrame.HeaderSize + payload.Length];
        TunnelFrame.Write(frame, type, streamId, payload);
        return frame;
    }

    public static byte[] UInt32(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    public TunnelRawPeer Start()
    {
        _pump = Task.Run(PumpAsync);
        return this;
    }

    public Task SendAsync(TunnelFrameType type, uint streamId, ReadOnlySpan<byte> payload)
        => SendMessageAsync(Frame(type, streamId, payload));

    public async Task SendMessageAsync(byte[] message, WebSocketMessageType messageType = WebSocketMessageType.Binary)
    {
        await _sendLock.WaitAsync(TunnelWait.Bound);
        try
        {
            await Socket.SendAsync(message, messageType, endOfMessage: true, CancellationToken.None).WaitAsync(TunnelWait.Bound);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Open with this peer's receive window, then the target.</summary>
    public Task SendOpenAsync(uint streamId, uint window, string target)
        => SendAsync(TunnelFrameType.Open, streamId, [.. UInt32(window), .. Encoding.UTF8.GetBytes(target)]);

    /// <summary>The next frame other than a Pong; null once the session closed the WebSocket.</summary>
    public async Task<TunnelRawFrame?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TunnelWait.Bound);
        while (await _frames.Reader.WaitToReadAsync(cancellation.Token))
        {
            if (_frames.Reader.TryRead(out TunnelRawFrame frame) && frame.Type != TunnelFrameType.Pong)
            {
                return frame;
            }
        }

        await _pump;
        return null;
    }

    /// <summary>The next frame, or null when none comes within <paramref name="wait"/> (the queue keeps later ones).</summary>
    public async Task<TunnelRawFrame?> TryReceiveAsync(TimeSpan wait)
    {
        try
        {
            return await ReceiveAsync(wait);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The next frame, which must be of <paramref name="type"/>.</summary>
    public async Task<TunnelRawFrame> ExpectAsync(TunnelFrameType type, TimeSpan? timeout = null)
    {
        TunnelRawFrame? frame = await ReceiveAsync(timeout);
        Assert.True(frame is not null, $"expected a {type} frame, the session closed the WebSocket ({CloseStatus})");
        Assert.True(type == frame.Value.Type, $"expected a {type} frame, got {frame.Value.Type} on stream {frame.Value.StreamId}: {frame.Value.Text}");
        return frame.Value;
    }

    /// <summary>
    /// Sends a Ping and waits for its Pong, failing on any other frame in between: the session's receive loop and
    /// its writer are alive, and the session sent nothing else (no Reset answering a Reset, say).
    /// </summary>
    public async Task ExpectAliveAsync()
    {
        byte[] stamp = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(stamp, Random.Shared.NextInt64());
        await SendAsync(TunnelFrameType.Ping, 0, stamp);
        using var cancellation = new CancellationTokenSource(TunnelWait.Bound);
        while (true)
        {
            TunnelRawFrame frame = await _frames.Reader.ReadAsync(cancellation.Token);
            Assert.True(frame.Type == TunnelFrameType.Pong, $"unexpected {frame.Type} frame on stream {frame.StreamId} while waiting for the Pong: {frame.Text}");
            if (frame.Payload.AsSpan().SequenceEqual(stamp))
            {
                return;
            }
        }
    }

    private async Task PumpAsync()
    {
        byte[] buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                int length = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await Socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = result.CloseStatus;
                    CloseDescription = result.CloseStatusDescription;
                    if (Socket.State == WebSocketState.CloseReceived)
                    {
                        await _sendLock.WaitAsync(TunnelWait.Bound);
                        try
                        {
                            await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                        }
                        finally
                        {
                            _sendLock.Release();
                        }
                    }

                    return;
                }

                TunnelFrame.TryRead(buffer.AsSpan(0, length), out TunnelFrameType type, out uint streamId);
                byte[] payload = buffer.AsSpan(TunnelFrame.HeaderSize, length - TunnelFrame.HeaderSize).ToArray();
                if (type == TunnelFrameType.Ping)
                {
                    await SendAsync(TunnelFrameType.Pong, 0, payload);
                    continue;
                }

                _frames.Writer.TryWrite(new TunnelRawFrame(type, streamId, payload));
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or TimeoutException)
        {
            // The session aborted the connection.
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }
}
