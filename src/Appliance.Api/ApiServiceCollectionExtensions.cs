using Appliance.Api.Security;
using Appliance.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Api;

public static class ApiServiceCollectionExtensions
{
    /// <summary>
    /// Registers the API engine over the store, its security (RBAC cache, gate, token issuer) and the
    /// start-up steps that create the <c>default</c> namespace, the default RBAC objects and the admin
    /// user. Call after <c>AddApplianceStore</c> and <c>AddApplianceAuth</c>: hosted services start in
    /// registration order, and the start-up steps need the open store.
    /// </summary>
    public static IServiceCollection AddApplianceApi(this IServiceCollection services, Action<ApiOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ApiOptions>()
            .Configure(configure ?? (static _ => { }))
            .Validate(static o => o.DefaultWatchTimeout > TimeSpan.Zero && o.WatchBookmarkInterval > TimeSpan.Zero, "ApiOptions: DefaultWatchTimeout and WatchBookmarkInterval must be positive.")
            .Validate(static o => o.MaxRequestsInFlight > 0 && o.MaxMutatingRequestsInFlight > 0, "ApiOptions: MaxRequestsInFlight and MaxMutatingRequestsInFlight must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static _ => ResourceRegistry.CreateDefault());
        services.TryAddSingleton<ResourceEngine>();
        services.TryAddSingleton<DiscoveryHandlers>();
        services.TryAddSingleton<ApiSecurity>();
        services.TryAddSingleton<TokenIssuer>();
        services.TryAddSingleton<ClusterAccess>();
        services.TryAddSingleton<PasswordHasher>();
        services.TryAddSingleton<LocalPasswords>();
        services.TryAddSingleton<LoginEndpoint>();
        services.TryAddSingleton<LocalLogin>();
        services.TryAddSingleton<UserAccounts>();
        services.TryAddSingleton<DirectoryProviders>();
        services.TryAddSingleton<DirectoryLogin>();
        services.TryAddSingleton<GitHubProviders>();
        services.TryAddSingleton<GitHubSignIn>();
        services.TryAddSingleton<AuthConfigTestAndApply>();
        services.TryAddSingleton<GitHubTestAndApply>();
        services.TryAddSingleton<GitHubAccessTokens>();
        services.TryAddSingleton<GitHubUserRefresher>();
        services.TryAddSingleton<LoginThrottle>();
        services.TryAddSingleton<TokenLogout>();
        services.TryAddSingleton<UserTokens>();
        services.TryAddSingleton<KubeconfigGeneration>();
        services.TryAddSingleton<PasswordChange>();
        services.TryAddSingleton<PasswordSet>();
        services.TryAddSingleton<ApiAuditLog>();
        services.AddHostedService(static provider => provider.GetRequiredService<ApiAuditLog>());
        services.AddHostedService<ApiBootstrapper>();
        // The RBAC cache lists after the defaults exist, so the first request already sees them.
        services.TryAddSingleton<SecurityBootstrapper>();
        services.AddHostedService(static provider => provider.GetRequiredService<SecurityBootstrapper>());
        services.TryAddSingleton<RbacCache>();
        services.AddHostedService(static provider => provider.GetRequiredService<RbacCache>());
        services.TryAddSingleton<DirectoryUserRefresher>();
        services.AddHostedService(static provider => provider.GetRequiredService<DirectoryUserRefresher>());
        // Token upkeep: last uses written off the request path, expired tokens deleted.
        services.TryAddSingleton<TokenUsageWriter>();
        services.AddHostedService(static provider => provider.GetRequiredService<TokenUsageWriter>());
        services.TryAddSingleton<TokenExpiryCollector>();
        services.AddHostedService(static provider => provider.GetRequiredService<TokenExpiryCollector>());
        return services;
    }
}
