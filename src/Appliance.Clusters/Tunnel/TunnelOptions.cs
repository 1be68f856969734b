namespace Appliance.Clusters.Tunnel;

/// <summary>Limits and timeouts of one tunnel session; every wait the session makes is bounded by one of these.</summary>
public sealed class TunnelOptions
{
    /// <summary>One WebSocket message, header included. Both ends must agree: a larger message ends the session.</summary>
    public const int DefaultMaxMessageSize = 64 * 1024;

    /// <summary>
    /// Bytes one stream may have in flight per direction. A watch or a log at full speed never waits for a
    /// window update on a LAN; the receiver buffers at most this much per stream (a thousand idle watches hold
    /// nothing, a thousand stalled ones 256 MiB).
    /// </summary>
    public const int DefaultInitialWindow = 256 * 1024;

    /// <summary>Streams the peer may have open at once; an Open beyond is refused with a Reset.</summary>
    public const int DefaultMaxIncomingStreams = 1024;

    public static readonly TimeSpan DefaultPingInterval = TimeSpan.FromSeconds(10);

    /// <summary>Three missed pings: one lost to a busy link is not a dead agent, three are.</summary>
    public static readonly TimeSpan DefaultPingTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The proxy's own upstream connect timeout; an agent answers an Open in a round trip.</summary>
    public static readonly TimeSpan DefaultOpenTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The WebSocket closing handshake: after this the socket is aborted.</summary>
    public static readonly TimeSpan DefaultCloseTimeout = TimeSpan.FromSeconds(2);

    public int MaxMessageSize { get; set; } = DefaultMaxMessageSize;

    public int InitialWindow { get; set; } = DefaultInitialWindow;

    public int MaxIncomingStreams { get; set; } = DefaultMaxIncomingStreams;

    public TimeSpan PingInterval { get; set; } = DefaultPingInterval;

    /// <summary>Nothing at all received (a Pong or any other frame) for this long ends the session.</summary>
    public TimeSpan PingTimeout { get; set; } = DefaultPingTimeout;

    /// <summary>Bounds <see cref="TunnelSession.OpenStreamAsync"/>'s wait for the peer's answer.</summary>
    public TimeSpan OpenTimeout { get; set; } = DefaultOpenTimeout;

    public TimeSpan CloseTimeout { get; set; } = DefaultCloseTimeout;

    /// <summary>Throws when a value is out of range; the session calls it when it is created.</summary>
    public void Validate()
    {
        // A Reset reason or a Control message must fit, and 16 MiB bounds one session's two buffers.
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageSize, 1024, nameof(MaxMessageSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxMessageSize, 16 * 1024 * 1024, nameof(MaxMessageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialWindow, 1, nameof(InitialWindow));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(InitialWindow, 1 << 30, nameof(InitialWindow));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIncomingStreams, 1, nameof(MaxIncomingStreams));
        RequirePositive(PingInterval, nameof(PingInterval));
        RequirePositive(PingTimeout, nameof(PingTimeout));
        RequirePositive(OpenTimeout, nameof(OpenTimeout));
        RequirePositive(CloseTimeout, nameof(CloseTimeout));
        if (PingTimeout <= PingInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(PingTimeout), PingTimeout, "must be longer than PingInterval");
        }
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, "must be a positive, finite time");
        }
    }
}
