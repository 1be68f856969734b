using System.Buffers.Binary;

namespace Appliance.Clusters.Tunnel;

/// <summary>
/// The tunnel's wire format: each WebSocket binary message is exactly one frame,
/// <c>[type: 1 byte][stream id: uint32 big-endian][payload ...]</c> (in the spirit of rancher/remotedialer's
/// message.go, with flow control added).
/// </summary>
/// <remarks>
/// <para>Messages: at most <see cref="TunnelOptions.MaxMessageSize"/> bytes including the 5-byte header; a larger
/// one closes the session with 1009 (MessageTooBig), a text message with 1003, a binary message shorter than
/// the header with 1002. Both ends must use the same limit (the default is the protocol's).</para>
/// <para>Stream ids: the opener allocates, the server side odd ids, the agent side even ones, so both may open
/// at once without colliding; 0 is the session itself (Ping, Pong, Control). Ids are not reused until the
/// 2^31 of one side wrap around.</para>
/// <para>A stream: Open (the opener's receive window, then the target) is answered by OpenAck (the acceptor's
/// receive window) or Reset (the reason). Data flows both ways; Close ends one direction (half-close) and the
/// stream is over when both directions are closed; Reset ends both at once, from either side, and is never
/// answered. A Data, Close, WindowUpdate or OpenAck for an unknown stream is answered with a Reset; an Open
/// whose id is in use or of the opener's wrong parity too.</para>
/// <para>Flow control per stream and direction: the sender may have at most the window the receiver announced
/// (in Open / OpenAck, then raised by WindowUpdate) in flight; the receiver buffers that much at most and sends
/// WindowUpdate as its reader consumes (once half the window is consumed). Data beyond the window resets that
/// stream, not the session, so one reader that stops reading stalls only its own stream.</para>
/// <para>Liveness: each side sends a Ping every <see cref="TunnelOptions.PingInterval"/> and answers Pings with
/// Pongs; a side that has received nothing at all for <see cref="TunnelOptions.PingTimeout"/> drops the
/// session.</para>
/// <para>Unknown frame types are ignored (with a warning), so a newer peer can add some.</para>
/// </remarks>
internal static class TunnelFrame
{
    public const int HeaderSize = 5;

    /// <summary>The stream id of Ping, Pong and Control.</summary>
    public const uint SessionStreamId = 0;

    /// <summary>Writes the header into the first <see cref="HeaderSize"/> bytes of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, TunnelFrameType type, uint streamId)
    {
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], streamId);
    }

    /// <summary>Header then payload; returns the frame's length. The destination is one message long.</summary>
    public static int Write(Span<byte> destination, TunnelFrameType type, uint streamId, ReadOnlySpan<byte> payload)
    {
        WriteHeader(destination, type, streamId);
        payload.CopyTo(destination[HeaderSize..]);
        return HeaderSize + payload.Length;
    }

    /// <summary>Header, a uint32 BE value, then <paramref name="rest"/> (Open, OpenAck, WindowUpdate).</summary>
    public static int Write(Span<byte> destination, TunnelFrameType type, uint streamId, uint value, ReadOnlySpan<byte> rest)
    {
        WriteHeader(destination, type, streamId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[HeaderSize..], value);
        rest.CopyTo(destination[(HeaderSize + sizeof(uint))..]);
        return HeaderSize + sizeof(uint) + rest.Length;
    }

    /// <summary>Header and an int64 BE value (Ping, Pong).</summary>
    public static int Write(Span<byte> destination, TunnelFrameType type, uint streamId, long value)
    {
        WriteHeader(destination, type, streamId);
        BinaryPrimitives.WriteInt64BigEndian(destination[HeaderSize..], value);
        return HeaderSize + sizeof(long);
    }

    /// <summary>False when the message is shorter than a header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out TunnelFrameType type, out uint streamId)
    {
        if (message.Length < HeaderSize)
        {
            type = default;
            streamId = 0;
            return false;
        }

        type = (TunnelFrameType)message[0];
        streamId = BinaryPrimitives.ReadUInt32BigEndian(message[1..]);
        return true;
    }
}
