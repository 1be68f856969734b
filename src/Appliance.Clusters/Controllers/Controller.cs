using Appliance.Api;
using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Clusters.Controllers;

/// <summary>
/// The small reconcile framework every cluster controller runs on: store changes are mapped to keys, keys
/// go through a <see cref="WorkQueue"/> to one worker, and every key is queued again each resync period
/// (a missed change or a drifted downstream is repaired then). <see cref="ReconcileAsync"/> brings one key
/// to its desired state; throwing retries it with backoff; returning a delay looks at it again then.
/// </summary>
public abstract partial class Controller : BackgroundService
{
    private readonly WorkQueue _queue;

    /// <param name="services">Where the store-backed parts are resolved from once the controller starts (the store opens with the host).</param>
    protected Controller(IServiceProvider services, TimeSpan resyncPeriod, ILogger logger)
    {
        Services = services;
        Time = services.GetRequiredService<TimeProvider>();
        ResyncPeriod = resyncPeriod;
        Logger = logger;
        _queue = new WorkQueue(Time, TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(5));
    }

    protected IServiceProvider Services { get; }

    protected KeyValueStore Store => field ??= Services.GetRequiredService<KeyValueStore>();

    /// <summary>The API objects (resolved on first use, after the store opened).</summary>
    protected ServerObjects Objects => field ??= Services.GetRequiredService<ServerObjects>();

    protected TimeProvider Time { get; }

    protected TimeSpan ResyncPeriod { get; }

    protected ILogger Logger { get; }

    /// <summary>For logs: which controller.</summary>
    protected abstract string ControllerName { get; }

    /// <summary>Every key there is to reconcile now (at start and each resync).</summary>
    protected abstract IEnumerable<string> AllKeys();

    /// <summary>The keys a store change concerns (none for most).</summary>
    protected abstract void KeysOf(WatchEvent change, ICollection<string> keys);

    /// <summary>Brings <paramref name="key"/> to its desired state; returns when to look again (null: at the next change or resync).</summary>
    protected abstract Task<TimeSpan?> ReconcileAsync(string key, CancellationToken cancellationToken);

    /// <summary>Queues <paramref name="key"/> (from events outside the store, such as an agent connecting).</summary>
    public void Enqueue(string key) => _queue.Add(key);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long revision = Store.CurrentRevision;
        Resync();
        using ITimer resync = Time.CreateTimer(_ => Resync(), null, ResyncPeriod, ResyncPeriod);
        Task watching = WatchAsync(revision, stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                string key = await _queue.TakeAsync(stoppingToken).ConfigureAwait(false);
                bool succeeded = false;
                try
                {
                    TimeSpan? again = await ReconcileAsync(key, stoppingToken).ConfigureAwait(false);
                    succeeded = true;
                    if (again is { } delay)
                    {
                        _queue.AddAfter(key, delay);
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogReconcileFailed(Logger, ControllerName, key, e.Message);
                }
                finally
                {
                    _queue.Done(key, succeeded);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await watching.ConfigureAwait(false);
    }

    private void Resync()
    {
        try
        {
            foreach (string key in AllKeys())
            {
                _queue.Add(key);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // It runs on a timer too, where an exception would end the process; the next resync tries again.
            LogResyncFailed(Logger, ControllerName, e.Message);
        }
    }

    private async Task WatchAsync(long revision, CancellationToken stoppingToken)
    {
        var keys = new List<string>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using StoreWatcher watcher = Store.Watch("/registry/", revision);
                while (await watcher.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                {
                    while (watcher.TryRead(out WatchEvent? change))
                    {
                        KeysOf(change, keys);
                    }

                    foreach (string key in keys)
                    {
                        _queue.Add(key);
                    }

                    keys.Clear();
                    revision = watcher.Revision;
                }

                if (watcher.Status == StoreStatus.Closed)
                {
                    return;
                }

                // Fell behind a compaction: look at everything again, then follow from now.
                revision = Store.CurrentRevision;
                Resync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1511, Level = LogLevel.Warning, Message = "Controller {Controller}: could not list what to resync: {Reason}")]
    private static partial void LogResyncFailed(ILogger logger, string controller, string reason);

    [LoggerMessage(EventId = 1510, Level = LogLevel.Warning, Message = "Controller {Controller}: {Key} failed, retrying with backoff: {Reason}")]
    private static partial void LogReconcileFailed(ILogger logger, string controller, string key, string reason);
}
