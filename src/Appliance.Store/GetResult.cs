namespace Appliance.Store;

/// <summary>The result of a get; <see cref="Revision"/> is the store revision the read was made at.</summary>
public readonly record struct GetResult(StoreStatus Status, KeyValue? Item, long Revision);
