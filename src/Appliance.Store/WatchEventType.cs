namespace Appliance.Store;

public enum WatchEventType
{
    /// <summary>A create or an update; <see cref="WatchEvent.PrevRevision"/> is 0 for a create.</summary>
    Put,

    /// <summary>A delete; the event carries the value the key had before it.</summary>
    Delete,
}
