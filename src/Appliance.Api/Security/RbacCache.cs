using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// Keeps the <see cref="RbacSnapshot"/> current from a store watch on the RBAC objects (list once, then
/// watch from that revision; a watch that falls behind or outlives compaction lists again).
/// </summary>
/// <remarks>
/// RBAC written through this API takes effect for the next request of any client: the security layer
/// reports each RBAC write (<see cref="NoteWrite"/>) and authorization first waits, bounded, for the watch
/// to have applied it. kube-apiserver's informer gives no such promise; scripts that create a binding and
/// use it at once are common enough to be worth the few lines.
/// </remarks>
public sealed class RbacCache(IServiceProvider services, ILogger<RbacCache> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan MaxWriteWait = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    private TaskCompletionSource _published = NewSignal();
    private volatile RbacSnapshot _snapshot = RbacSnapshot.Empty;
    private long _revision;
    private long _writtenRevision;
    private Task? _loop;

    public RbacSnapshot Snapshot => _snapshot;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolved here: the store opens when StoreHost starts, before this service.
        KeyValueStore store = services.GetRequiredService<KeyValueStore>();
        long revision = Load(store);
        _loop = Task.Run(() => WatchAsync(store, revision, _stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>An RBAC object was written at or below <paramref name="revision"/>.</summary>
    public void NoteWrite(long revision)
    {
        long current = Interlocked.Read(ref _writtenRevision);
        while (revision > current)
        {
            long seen = Interlocked.CompareExchange(ref _writtenRevision, revision, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Completes once every RBAC write noted so far is in <see cref="Snapshot"/>, or after a short bound.</summary>
    public async ValueTask WaitForWritesAsync(CancellationToken cancellationToken)
    {
        long written = Interlocked.Read(ref _writtenRevision);
        long deadline = Environment.TickCount64 + (long)MaxWriteWait.TotalMilliseconds;
        while (Interlocked.Read(ref _revision) < written)
        {
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                return;
            }

            Task published = Volatile.Read(ref _published).Task;
            if (Interlocked.Read(ref _revision) >= written)
            {
                return;
            }

            await published.WaitAsync(TimeSpan.FromMilliseconds(remaining), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private long Load(KeyValueStore store)
    {
        _objects.Clear();
        string? continueToken = null;
        long revision = 0;
        foreach (string prefix in RbacSnapshot.Prefixes)
        {
            // Every prefix at the revision of the first page, so the snapshot is one moment of the store.
            do
            {
                RangeResult page = store.Range(prefix, 1000, continueToken, revision);
                if (page.Status != StoreStatus.Ok)
                {
                    throw new InvalidOperationException("Listing RBAC objects failed: " + page.Status);
                }

                foreach (KeyValue item in page.Items)
                {
                    _objects[item.Key] = item.Value;
                }

                revision = page.Revision;
                continueToken = page.Continue;
            }
            while (continueToken is not null);
        }

        Publish(revision);
        return revision;
    }

    private async Task WatchAsync(KeyValueStore store, long revision, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // One watch over every key, filtered here: RBAC lives under three prefixes, and a watcher
                // passes over other keys' events in the shared ring without copying them.
                using StoreWatcher watcher = store.Watch(WatchPrefix, revision);
                while (await watcher.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    bool changed = false;
                    while (watcher.TryRead(out WatchEvent? change))
                    {
                        if (!IsRbacKey(change.Key))
                        {
                            continue;
                        }

                        changed = true;
                        if (change.Type == WatchEventType.Delete)
                        {
                            _objects.Remove(change.Key);
                        }
                        else
                        {
                            _objects[change.Key] = change.Value;
                        }
                    }

                    // Most writes are not RBAC: then only the revision moves on (for WaitForWritesAsync), no rebuild.
                    Publish(watcher.Revision, rebuild: changed);
                }

                if (watcher.Status == StoreStatus.Closed)
                {
                    return;
                }

                // Lagged or compacted: start over from a fresh list rather than miss a change.
                Log.RbacRelist(logger, watcher.Status.ToString());
                revision = Load(store);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Publish(long revision, bool rebuild = true)
    {
        if (rebuild)
        {
            _snapshot = RbacSnapshot.Build(_objects);
        }

        long previous = Interlocked.Exchange(ref _revision, revision);
        if (rebuild || Interlocked.Read(ref _writtenRevision) > previous)
        {
            // Someone may be waiting for this revision: wake them.
            Interlocked.Exchange(ref _published, NewSignal()).TrySetResult();
        }
    }

    private const string WatchPrefix = "/registry/";

    private static bool IsRbacKey(string key)
    {
        foreach (string prefix in RbacSnapshot.Prefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
