using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace Appliance.Store;

/// <summary>
/// A write waiting for its batch to be durable. Pooled and awaited as a ValueTask so the write path does
/// not allocate a Task per operation; it returns itself to the pool when its result is read.
/// </summary>
internal sealed class PendingWrite : IValueTaskSource<WriteResult>
{
    private readonly ConcurrentQueue<PendingWrite> _pool;
    private ManualResetValueTaskSourceCore<WriteResult> _core;

    public PendingWrite(ConcurrentQueue<PendingWrite> pool)
    {
        _pool = pool;

        // Continuations go to the thread pool so the single writer loop never runs callers' code.
        _core.RunContinuationsAsynchronously = true;
    }

    public StoreCommand Command { get; set; }

    public ValueTask<WriteResult> AsValueTask() => new(this, _core.Version);

    public void SetResult(WriteResult result) => _core.SetResult(result);

    public void SetException(Exception error) => _core.SetException(error);

    public WriteResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            Command = default;
            _pool.Enqueue(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
