using System.Diagnostics.CodeAnalysis;

namespace Appliance.Proxy;

/// <summary>
/// Idle keep-alive connections of one cluster, most recently used first (a warm connection is likelier to
/// be alive and keeps the rest ageing out). A lock around a small stack: no allocation per rent or return.
/// </summary>
internal sealed class UpstreamConnectionPool : IDisposable
{
    private readonly Stack<UpstreamConnection> _idle = new();
    private readonly int _maxIdle;
    private readonly long _idleTimeoutTicks;
    private readonly TimeProvider _timeProvider;
    private bool _disposed;

    public UpstreamConnectionPool(int maxIdle, TimeSpan idleTimeout, TimeProvider timeProvider)
    {
        _maxIdle = maxIdle;
        _timeProvider = timeProvider;
        _idleTimeoutTicks = (long)(idleTimeout.TotalSeconds * timeProvider.TimestampFrequency);
    }

    public int IdleCount
    {
        get
        {
            lock (_idle)
            {
                return _idle.Count;
            }
        }
    }

    public bool TryRent([NotNullWhen(true)] out UpstreamConnection? connection)
    {
        long now = _timeProvider.GetTimestamp();
        while (true)
        {
            lock (_idle)
            {
                if (!_idle.TryPop(out connection))
                {
                    return false;
                }
            }

            // Checked outside the lock: a stale connection is disposed and the next one tried.
            if (now - connection.IdleSince < _idleTimeoutTicks && connection.LooksAlive())
            {
                return true;
            }

            connection.Dispose();
        }
    }

    public void Return(UpstreamConnection connection)
    {
        connection.IdleSince = _timeProvider.GetTimestamp();
        lock (_idle)
        {
            if (!_disposed && _idle.Count < _maxIdle)
            {
                _idle.Push(connection);
                return;
            }
        }

        connection.Dispose();
    }

    public void Dispose()
    {
        UpstreamConnection[] idle;
        lock (_idle)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }

        foreach (UpstreamConnection connection in idle)
        {
            connection.Dispose();
        }
    }
}
