using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// Registers token hashing under the server key in <paramref name="keyDirectory"/> (created on first
    /// use, 0600), service-account token signing, Secret encryption and cookie sealing (their keys beside it) and the
    /// <see cref="TokenAuthenticator"/>.
    /// </summary>
    public static IServiceCollection AddApplianceAuth(this IServiceCollection services, string keyDirectory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(keyDirectory);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new TokenHasher(ServerKeyFile.LoadOrCreate(keyDirectory)));
        services.TryAddSingleton(provider => ServiceAccountTokens.LoadOrCreate(keyDirectory, provider.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(_ => new SecretEncryption(ServerKeyFile.LoadOrCreate(keyDirectory, SecretEncryption.FileName)));
        // Cookies the browser carries for us (a pending GitHub sign-in) under keys derived from the same file.
        services.TryAddSingleton(_ => new CookieSealer(ServerKeyFile.LoadOrCreate(keyDirectory, SecretEncryption.FileName)));
        // Resolved per use, not at start: the store opens when the host starts.
        services.TryAddSingleton(static provider => new TokenAuthenticator(
            provider.GetRequiredService<KeyValueStore>(), provider.GetRequiredService<TokenHasher>(), provider.GetRequiredService<TimeProvider>()));
        return services;
    }
}
