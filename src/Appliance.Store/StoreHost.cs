using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Store;

/// <summary>
/// Opens the store when the host starts and closes it when the host stops, so the composition root
/// needs no async factory. <see cref="IsReady"/> is the store's readiness signal for <c>/readyz</c>.
/// </summary>
public sealed class StoreHost(IOptions<StoreOptions> options, ILogger<KeyValueStore> logger, TimeProvider timeProvider) : IHostedService, IAsyncDisposable
{
    private KeyValueStore? _store;

    /// <summary>The open store; resolving it before the host started is a composition error.</summary>
    public KeyValueStore Store => _store ?? throw new InvalidOperationException("The store opens when the host starts; resolve it after StartAsync.");

    public bool IsReady => _store?.IsReady == true;

    public async Task StartAsync(CancellationToken cancellationToken)
        => _store = await KeyValueStore.OpenAsync(options.Value, logger, timeProvider, cancellationToken).ConfigureAwait(false);

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public ValueTask DisposeAsync() => _store?.DisposeAsync() ?? ValueTask.CompletedTask;
}
