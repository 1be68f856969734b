namespace Appliance.Store;

/// <summary>One key at one revision. <see cref="Value"/> is owned by the store: do not mutate it.</summary>
public sealed record KeyValue(string Key, byte[] Value, long CreateRevision, long ModRevision);
