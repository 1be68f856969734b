namespace Appliance.Clusters.Tunnel;

/// <summary>
/// A small frame sent by the session's queue writer rather than by its originator: Pong, WindowUpdate and
/// Reset come from the receive loop (which must never wait for the socket), from a reader's read or from a
/// synchronous Dispose. <see cref="Value"/> is the WindowUpdate increment or the Ping/Pong timestamp.
/// </summary>
internal readonly record struct TunnelQueuedFrame(TunnelFrameType Type, uint StreamId, long Value, string? Reason);
