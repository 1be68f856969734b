namespace Appliance.Store.Load;

internal sealed class StoreTarget(KeyValueStore store) : ILoadTarget
{
    public string Name => "ours";

    public async Task CreateAsync(string key, byte[] value)
    {
        WriteResult result = await store.CreateAsync(key, value).ConfigureAwait(false);
        if (!result.IsOk)
        {
            throw new InvalidOperationException($"create {key}: {result.Status}");
        }
    }
}
