using Appliance.Store;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Appliance.Health;

/// <summary>Ready while the store takes writes: it goes unready if its writer loop fails or it is closed.</summary>
internal sealed class StoreReadinessCheck(StoreHost store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(store.IsReady
            ? HealthCheckResult.Healthy($"revision {store.Store.CurrentRevision}")
            : HealthCheckResult.Unhealthy("not taking writes"));
}
