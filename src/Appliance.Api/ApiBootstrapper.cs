using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Api;

/// <summary>
/// Creates the objects a Kubernetes API always has (the <c>default</c> namespace) once the store is open.
/// Idempotent: an existing namespace is left alone.
/// </summary>
internal sealed class ApiBootstrapper(IServiceProvider services) : IHostedService
{
    public const string DefaultNamespace = "default";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolved here, not injected: the engine needs the store, which opens when StoreHost starts.
        ResourceEngine engine = services.GetRequiredService<ResourceEngine>();
        ResourceDefinition namespaces = engine.Registry.Find("", "v1", "namespaces")!;
        try
        {
            await engine.CreateAsync(namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = DefaultNamespace } }, dryRun: false).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Status.Reason == "AlreadyExists")
        {
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
