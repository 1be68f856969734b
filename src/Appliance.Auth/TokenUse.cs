namespace Appliance.Auth;

/// <summary>
/// One token's last use, in memory (<see cref="TokenUsage"/>). <see cref="MarkUsed"/> is on every authenticated
/// request, the proxy's cache hits included: a clock read, and at most once a second per token two field writes;
/// no lock, no allocation, no store access.
/// </summary>
public sealed class TokenUse
{
    private readonly TimeProvider _clock;
    private readonly long _granularity;

    // Timestamps of the clock (TimeProvider.GetTimestamp). _lastUsed is written by any request thread;
    // _pending says a use is not yet taken for writing; _lastTaken is the writer's own.
    private long _lastUsed;
    private int _pending;
    private long _lastTaken;
    private bool _taken;

    internal TokenUse(TimeProvider clock, long granularity)
    {
        _clock = clock;
        _granularity = granularity;
    }

    /// <summary>Records a use now. Uses less than a second apart count as one (Token.lastUsedAt is to the second).</summary>
    public void MarkUsed()
    {
        long now = _clock.GetTimestamp();
        // Read first: a busy token is written to (its cache line invalidated on every core) once a second, not per request.
        if (now - Volatile.Read(ref _lastUsed) >= _granularity)
        {
            Volatile.Write(ref _lastUsed, now);
            Volatile.Write(ref _pending, 1);
        }
    }

    internal bool IsPending => Volatile.Read(ref _pending) != 0;

    internal long LastUsed => Volatile.Read(ref _lastUsed);

    /// <summary>
    /// The writer's side (one writer): takes the last use when one is pending and the previous take is at least
    /// <paramref name="interval"/> old, or at once with <paramref name="force"/>.
    /// </summary>
    internal bool TryTake(long now, TimeSpan interval, bool force, out long usedAt)
    {
        usedAt = 0;
        if (!IsPending || (!force && _taken && _clock.GetElapsedTime(_lastTaken, now) < interval))
        {
            return false;
        }

        // Cleared before the read: a use racing with this take sets it again and is taken next time.
        Volatile.Write(ref _pending, 0);
        usedAt = Volatile.Read(ref _lastUsed);
        _lastTaken = now;
        _taken = true;
        return true;
    }

    /// <summary>Gives back a use whose write failed, to be taken again on the writer's next round.</summary>
    internal void Untake()
    {
        _taken = false;
        Volatile.Write(ref _pending, 1);
    }
}
