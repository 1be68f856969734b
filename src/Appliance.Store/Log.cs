using Microsoft.Extensions.Logging;

namespace Appliance.Store;

/// <summary>The store's log messages. EventIds 1000-1099 belong to the store.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, EventName = "StoreOpened", Level = LogLevel.Information,
        Message = "Store opened at {Path}: revision {Revision}, compacted at {CompactRevision}")]
    public static partial void StoreOpened(ILogger logger, string path, long revision, long compactRevision);

    [LoggerMessage(EventId = 1001, EventName = "StoreClosed", Level = LogLevel.Information,
        Message = "Store closed at revision {Revision}")]
    public static partial void StoreClosed(ILogger logger, long revision);

    [LoggerMessage(EventId = 1002, EventName = "BatchFailed", Level = LogLevel.Error,
        Message = "A write batch of {Count} commands failed and was rolled back")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 1003, EventName = "Compacted", Level = LogLevel.Debug,
        Message = "Compacted history from revision {From} to {To}")]
    public static partial void Compacted(ILogger logger, long from, long to);

    [LoggerMessage(EventId = 1004, EventName = "CompactionFailed", Level = LogLevel.Warning,
        Message = "Background compaction to revision {Revision} failed")]
    public static partial void CompactionFailed(ILogger logger, long revision, Exception exception);

    [LoggerMessage(EventId = 1005, EventName = "VacuumFailed", Level = LogLevel.Warning,
        Message = "Reclaiming free pages after compaction failed")]
    public static partial void VacuumFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1006, EventName = "WriterFailed", Level = LogLevel.Critical,
        Message = "The store's writer loop failed; the store takes no more writes")]
    public static partial void WriterFailed(ILogger logger, Exception exception);
}
