using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Appliance.Store.Tests;

public sealed class StoreHostTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task AddApplianceStore_OpensTheStoreWithTheHost_AndClosesItOnStop()
    {
        using IHost host = Build(o => o.DatabasePath = _directory.DatabasePath);
        StoreHost storeHost = host.Services.GetRequiredService<StoreHost>();
        Assert.False(storeHost.IsReady);

        await host.StartAsync();
        KeyValueStore store = host.Services.GetRequiredService<KeyValueStore>();
        Assert.True(storeHost.IsReady);
        Assert.Equal(StoreStatus.Ok, (await store.CreateAsync("/registry/pods/default/a", [1])).Status);

        await host.StopAsync();
        Assert.False(storeHost.IsReady);
        Assert.False(store.IsReady);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task AddApplianceStore_WithInvalidOptions_FailsAtStartUp()
    {
        using IHost host = Build(o => o.DatabasePath = "");

        await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    public void Dispose() => _directory.Dispose();

    private static IHost Build(Action<StoreOptions> configure)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddApplianceStore(configure);
        return builder.Build();
    }
}
