namespace Appliance.Store;

/// <summary>
/// One write as it will travel through a replicated log: deterministic to apply, so every replica that
/// applies the same commands in the same order ends at the same revisions.
/// <see cref="ExpectedRevision"/> 0 means "any" for update and delete; for compact it is the target.
/// </summary>
internal readonly record struct StoreCommand(CommandKind Kind, string Key, byte[] Value, long ExpectedRevision);
