using System.Threading.Tasks.Sources;

namespace Appliance.Clusters.Tunnel;

/// <summary>
/// An auto-reset event for one async waiter, reused for every wait (a stream's reader waiting for data, its
/// writer waiting for window): no allocation per wait. A <see cref="Set"/> with nobody waiting is kept for the
/// next wait, so "check state, then wait" never misses a wake-up; waiters re-check state after waking.
/// </summary>
internal sealed class TunnelSignal : IValueTaskSource
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private bool _set;
    private bool _waiting;
    private CancellationToken _cancellationToken;
    private CancellationTokenRegistration _registration;

    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_set)
            {
                _set = false;
                return ValueTask.CompletedTask;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            if (_waiting)
            {
                throw new InvalidOperationException("Another read or write on this stream is already waiting.");
            }

            _waiting = true;
            _core.Reset();
            _cancellationToken = cancellationToken;
        }

        // Outside the lock: a token cancelled meanwhile runs the callback here, and it takes the lock.
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static state => ((TunnelSignal)state!).Complete(canceled: true), this);
        }

        return new ValueTask(this, _core.Version);
    }

    public void Set() => Complete(canceled: false);

    private void Complete(bool canceled)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                _set |= !canceled;
                return;
            }

            _waiting = false;
        }

        if (canceled)
        {
            _core.SetException(new OperationCanceledException(_cancellationToken));
        }
        else
        {
            _core.SetResult(true);
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        _registration.Dispose();
        _registration = default;
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
