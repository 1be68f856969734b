using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Api;

public static class ApiServiceCollectionExtensions
{
    /// <summary>
    /// Registers the API engine over the store and a start-up step that creates the <c>default</c>
    /// namespace. Call after <c>AddApplianceStore</c>: hosted services start in registration order, and
    /// the start-up step needs the open store.
    /// </summary>
    public static IServiceCollection AddApplianceApi(this IServiceCollection services, Action<ApiOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ApiOptions>()
            .Configure(configure ?? (static _ => { }))
            .Validate(static o => o.DefaultWatchTimeout > TimeSpan.Zero && o.WatchBookmarkInterval > TimeSpan.Zero, "ApiOptions: DefaultWatchTimeout and WatchBookmarkInterval must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static _ => ResourceRegistry.CreateDefault());
        services.TryAddSingleton<ResourceEngine>();
        services.TryAddSingleton<DiscoveryHandlers>();
        services.AddHostedService<ApiBootstrapper>();
        return services;
    }
}
