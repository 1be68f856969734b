using System.Text;

namespace Appliance.Store.Tests;

/// <summary>Opens a store on a fresh file per test and closes it afterwards.</summary>
public abstract class StoreTestBase : IAsyncLifetime
{
    /// <summary>Every wait in these tests is bounded by this, so a bug fails a test instead of hanging the run.</summary>
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    protected TestDirectory Directory { get; } = new();

    protected KeyValueStore Store { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Store = await OpenAsync();

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Dispose();
    }

    protected StoreOptions NewOptions() => new()
    {
        DatabasePath = Directory.DatabasePath,
        CompactionInterval = System.Threading.Timeout.InfiniteTimeSpan,
    };

    protected virtual Task<KeyValueStore> OpenAsync() => KeyValueStore.OpenAsync(NewOptions());

    protected async Task ReopenAsync(StoreOptions? options = null)
    {
        await Store.DisposeAsync();
        Store = await KeyValueStore.OpenAsync(options ?? NewOptions());
    }

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    protected async Task<long> CreateAsync(string key, string value)
    {
        WriteResult result = await Store.CreateAsync(key, Bytes(value));
        Assert.Equal(StoreStatus.Ok, result.Status);
        return result.Revision;
    }
}
