namespace Appliance.Store;

/// <summary>
/// The result of create, update or delete. On <see cref="StoreStatus.Ok"/> <see cref="Revision"/> is the
/// revision of this write; on <see cref="StoreStatus.Conflict"/> it is the key's current mod-revision.
/// </summary>
public readonly record struct WriteResult(StoreStatus Status, long Revision)
{
    public bool IsOk => Status == StoreStatus.Ok;
}
