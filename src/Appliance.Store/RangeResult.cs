namespace Appliance.Store;

/// <summary>
/// One page of a range. <see cref="Continue"/> is null on the last page; passing it back reads the next
/// page at the same <see cref="Revision"/>, so pages are one consistent snapshot.
/// </summary>
public readonly record struct RangeResult(StoreStatus Status, IReadOnlyList<KeyValue> Items, long Revision, string? Continue);
