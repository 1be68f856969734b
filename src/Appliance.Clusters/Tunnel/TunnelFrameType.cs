namespace Appliance.Clusters.Tunnel;

/// <summary>The first byte of every tunnel frame; see <see cref="TunnelFrame"/> for the layout and the rules.</summary>
internal enum TunnelFrameType : byte
{
    /// <summary>Opens a stream. Payload: the opener's receive window (uint32 BE), then the target (opaque bytes).</summary>
    Open = 1,

    /// <summary>Accepts an Open. Payload: the acceptor's receive window (uint32 BE).</summary>
    OpenAck = 2,

    /// <summary>Stream bytes, at most the sender's remaining window and one message.</summary>
    Data = 3,

    /// <summary>Half-close: the sender sends no more Data on this stream.</summary>
    Close = 4,

    /// <summary>Aborts the stream both ways. Payload: the reason, UTF-8. Never answered.</summary>
    Reset = 5,

    /// <summary>Grants the peer more bytes to send on the stream. Payload: the increment (uint32 BE).</summary>
    WindowUpdate = 6,

    /// <summary>Stream 0. Payload: 8 bytes the peer echoes in a Pong (the sender's timestamp).</summary>
    Ping = 7,

    /// <summary>Stream 0. Payload: the Ping's 8 bytes.</summary>
    Pong = 8,

    /// <summary>Stream 0. Opaque payload for the session's owner (the agent reporting to the server).</summary>
    Control = 9,
}
