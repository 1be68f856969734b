using Microsoft.Extensions.Logging;

namespace Appliance.Clusters.Tunnel;

/// <summary>The tunnel's log messages. EventIds 1550-1579 belong to the tunnel (within the clusters' 1500-1599).</summary>
internal static partial class TunnelLog
{
    [LoggerMessage(EventId = 1550, EventName = "TunnelSessionStarted", Level = LogLevel.Debug,
        Message = "Tunnel session started as the {Side} side")]
    public static partial void SessionStarted(ILogger logger, string side);

    [LoggerMessage(EventId = 1551, EventName = "TunnelSessionEnded", Level = LogLevel.Information,
        Message = "Tunnel session ended: {Reason}")]
    public static partial void SessionEnded(ILogger logger, string reason);

    [LoggerMessage(EventId = 1552, EventName = "TunnelProtocolError", Level = LogLevel.Warning,
        Message = "Tunnel protocol error, closing the session with status {CloseStatus}: {Reason}")]
    public static partial void ProtocolError(ILogger logger, int closeStatus, string reason);

    [LoggerMessage(EventId = 1553, EventName = "TunnelStreamProtocolError", Level = LogLevel.Warning,
        Message = "Tunnel stream {StreamId} reset: {Reason}")]
    public static partial void StreamProtocolError(ILogger logger, uint streamId, string reason);

    [LoggerMessage(EventId = 1554, EventName = "TunnelUnknownStream", Level = LogLevel.Debug,
        Message = "Tunnel {FrameType} frame for stream {StreamId}, which is not open; answered with a Reset")]
    public static partial void UnknownStream(ILogger logger, TunnelFrameType frameType, uint streamId);

    [LoggerMessage(EventId = 1555, EventName = "TunnelPingTimeout", Level = LogLevel.Warning,
        Message = "Tunnel peer silent for {Silence}; dropping the session")]
    public static partial void PingTimeout(ILogger logger, TimeSpan silence);

    [LoggerMessage(EventId = 1556, EventName = "TunnelOpenHandlerFailed", Level = LogLevel.Error,
        Message = "Tunnel stream {StreamId}: the open handler failed; the stream is reset")]
    public static partial void OpenHandlerFailed(ILogger logger, uint streamId, Exception exception);

    [LoggerMessage(EventId = 1557, EventName = "TunnelControlHandlerFailed", Level = LogLevel.Error,
        Message = "Tunnel control message handler failed; the session goes on")]
    public static partial void ControlHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1558, EventName = "TunnelUnknownFrameType", Level = LogLevel.Warning,
        Message = "Tunnel frame of unknown type {FrameType} on stream {StreamId} ignored")]
    public static partial void UnknownFrameType(ILogger logger, byte frameType, uint streamId);

    [LoggerMessage(EventId = 1559, EventName = "TunnelStreamRefused", Level = LogLevel.Debug,
        Message = "Tunnel stream {StreamId} refused: {Reason}")]
    public static partial void StreamRefused(ILogger logger, uint streamId, string reason);
}
