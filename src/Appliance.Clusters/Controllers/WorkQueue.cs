using System.Threading.Channels;

namespace Appliance.Clusters.Controllers;

/// <summary>
/// A controller's work queue, as client-go's: a key is queued at most once however often it is added; a key
/// added while it is being worked on is worked on again afterwards (never twice at once); a failed key comes
/// back after a per-key exponential backoff, reset by its next success.
/// </summary>
internal sealed class WorkQueue(TimeProvider time, TimeSpan baseDelay, TimeSpan maxDelay)
{
    private readonly Channel<string> _ready = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);
    private readonly HashSet<string> _addedWhileActive = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);

    public void Add(string key)
    {
        lock (_lock)
        {
            if (_active.Contains(key))
            {
                _addedWhileActive.Add(key);
                return;
            }

            if (!_queued.Add(key))
            {
                return;
            }
        }

        _ready.Writer.TryWrite(key);
    }

    /// <summary>Adds <paramref name="key"/> once <paramref name="delay"/> has passed.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        ITimer? timer = null;
        timer = time.CreateTimer(_ =>
        {
            Add(key);
            timer?.Dispose();
        }, null, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The next key to work on; pair with <see cref="Done"/>.</summary>
    public async ValueTask<string> TakeAsync(CancellationToken cancellationToken)
    {
        string key = await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _queued.Remove(key);
            _active.Add(key);
        }

        return key;
    }

    /// <summary>Ends work on <paramref name="key"/>: success forgets its failures; failure re-adds it after its backoff.</summary>
    public TimeSpan Done(string key, bool succeeded)
    {
        TimeSpan retry = TimeSpan.Zero;
        bool again;
        lock (_lock)
        {
            _active.Remove(key);
            again = _addedWhileActive.Remove(key);
            if (succeeded)
            {
                _failures.Remove(key);
            }
            else
            {
                int failures = _failures.GetValueOrDefault(key) + 1;
                _failures[key] = failures;
                double factor = Math.Pow(2, Math.Min(failures - 1, 30));
                retry = TimeSpan.FromTicks((long)Math.Min(baseDelay.Ticks * factor, maxDelay.Ticks));
            }
        }

        if (again)
        {
            Add(key);
        }
        else if (!succeeded)
        {
            AddAfter(key, retry);
        }

        return retry;
    }
}
