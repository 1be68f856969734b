using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Appliance.Store;

public static class StoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the store: validated <see cref="StoreOptions"/> (checked at start-up), a
    /// <see cref="StoreHost"/> hosted service that opens and closes it, and <see cref="KeyValueStore"/>
    /// itself (resolvable once the host has started).
    /// </summary>
    public static IServiceCollection AddApplianceStore(this IServiceCollection services, Action<StoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<StoreOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StoreOptions>, StoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StoreHost>();
        services.AddHostedService(static provider => provider.GetRequiredService<StoreHost>());
        services.TryAddSingleton(static provider => provider.GetRequiredService<StoreHost>().Store);
        return services;
    }
}
