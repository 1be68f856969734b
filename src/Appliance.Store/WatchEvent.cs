namespace Appliance.Store;

/// <summary>
/// One committed write. Every revision is exactly one event, so the events of a store are dense in
/// revision order. A class, not a struct, because the in-memory ring publishes it with one atomic
/// reference write that concurrent readers can never see torn.
/// </summary>
public sealed class WatchEvent(WatchEventType type, string key, byte[] value, long revision, long createRevision, long prevRevision)
{
    public WatchEventType Type { get; } = type;

    public string Key { get; } = key;

    /// <summary>The new value for a put, the last value for a delete. Owned by the store.</summary>
    public byte[] Value { get; } = value;

    /// <summary>The store revision of this write (the key's new mod-revision).</summary>
    public long Revision { get; } = revision;

    public long CreateRevision { get; } = createRevision;

    /// <summary>The key's previous mod-revision, 0 if the key did not exist before.</summary>
    public long PrevRevision { get; } = prevRevision;
}
