namespace Appliance.Store;

/// <summary>The outcome of a store operation. Expected outcomes are values, not exceptions.</summary>
public enum StoreStatus
{
    Ok = 0,

    /// <summary>The key does not exist (or is deleted) at the revision read.</summary>
    NotFound,

    /// <summary>Create of a key that already exists.</summary>
    AlreadyExists,

    /// <summary>The expected mod-revision did not match the key's current one.</summary>
    Conflict,

    /// <summary>The revision asked for is older than the compacted revision (HTTP 410 Gone).</summary>
    Compacted,

    /// <summary>The revision asked for is newer than the store's current revision.</summary>
    FutureRevision,

    /// <summary>The key is not of the <c>/registry/...</c> shape or too long.</summary>
    InvalidKey,

    /// <summary>The value is larger than <see cref="StoreOptions.MaxValueBytes"/>.</summary>
    ValueTooLarge,

    /// <summary>The continue token is not one this store issued.</summary>
    InvalidContinue,

    /// <summary>A watcher fell further behind than the in-memory window; resume from its revision.</summary>
    Lagged,

    /// <summary>The watcher was disposed or the store is closing.</summary>
    Closed,
}
