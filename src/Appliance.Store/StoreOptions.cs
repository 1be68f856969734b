namespace Appliance.Store;

/// <summary>Settings of the embedded store. Every default is a documented constant.</summary>
public sealed class StoreOptions
{
    /// <summary>1.5 MiB, etcd's default request limit, so objects that fit etcd fit here.</summary>
    public const int DefaultMaxValueBytes = 1536 * 1024;

    /// <summary>Far above any real Kubernetes key (group + resource + namespace + name, each &lt;= 253).</summary>
    public const int DefaultMaxKeyLength = 2048;

    /// <summary>Writes drained into one transaction (one fsync) at most.</summary>
    public const int DefaultMaxBatchSize = 1024;

    /// <summary>Recent events kept in memory for watchers; a watcher further behind than this is ended (Lagged).</summary>
    public const int DefaultWatchWindow = 8192;

    /// <summary>Compaction keeps at least this many revisions of history.</summary>
    public const long DefaultCompactionMinRevisions = 10_000;

    /// <summary>Compaction keeps at least this much history by time (kube-apiserver compacts every 5 minutes).</summary>
    public static readonly TimeSpan DefaultCompactionMinAge = TimeSpan.FromMinutes(5);

    /// <summary>How often the background compactor looks at the window.</summary>
    public static readonly TimeSpan DefaultCompactionInterval = TimeSpan.FromMinutes(1);

    /// <summary>Path of the SQLite database file, e.g. <c>/var/lib/appliance/state.db</c>. Required.</summary>
    public string DatabasePath { get; set; } = "";

    public int MaxValueBytes { get; set; } = DefaultMaxValueBytes;

    public int MaxKeyLength { get; set; } = DefaultMaxKeyLength;

    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>Rounded up to a power of two.</summary>
    public int WatchWindow { get; set; } = DefaultWatchWindow;

    public long CompactionMinRevisions { get; set; } = DefaultCompactionMinRevisions;

    public TimeSpan CompactionMinAge { get; set; } = DefaultCompactionMinAge;

    /// <summary><see cref="Timeout.InfiniteTimeSpan"/> turns background compaction off.</summary>
    public TimeSpan CompactionInterval { get; set; } = DefaultCompactionInterval;
}
