namespace Appliance.Store.Load;

/// <summary>Something that durably creates a key: our store or etcd.</summary>
internal interface ILoadTarget
{
    string Name { get; }

    /// <summary>Creates the key (fails if it exists) and returns once the write is durable.</summary>
    Task CreateAsync(string key, byte[] value);
}
