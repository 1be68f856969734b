using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.Store;

/// <summary>
/// The embedded MVCC key-value store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, one
/// writer loop that group-commits, pooled read connections, and watches served from an in-memory ring.
/// Open it with <see cref="OpenAsync"/>; a store that returned from it is ready.
/// </summary>
public sealed partial class KeyValueStore : IAsyncDisposable
{
    private const int MaxIdleReadSessions = 16;

    private readonly StoreOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;
    private readonly CommandApplier _applier;
    private readonly WatchHub _hub;
    private readonly Channel<PendingWrite> _writes;
    private readonly ConcurrentQueue<PendingWrite> _pendingPool = new();
    private readonly ConcurrentQueue<ReadSession> _readSessions = new();
    private readonly TaskCompletionSource _writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StoreMetrics _metrics;
    private long _compactRevision;
    private volatile bool _ready;
    private int _disposed;

    private KeyValueStore(StoreOptions options, ILogger logger, TimeProvider timeProvider, SqliteConnection writer, string readConnectionString, long revision, long compactRevision)
    {
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        _writer = writer;
        _readConnectionString = readConnectionString;
        _applier = new CommandApplier(writer);
        _hub = new WatchHub(options.WatchWindow, revision);
        _lastRevision = revision;
        _compactRevision = compactRevision;
        _writes = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
        _metrics = new StoreMetrics(this, options.DatabasePath);

        // The writer blocks in fsync on every batch: on its own thread that never holds up the thread
        // pool (2 threads to start with on a 2-core box) that callers and their continuations run on.
        new Thread(RunWriter) { IsBackground = true, Name = "appliance-store-writer" }.Start();
        _compactionTimer = StartCompactionTimer();
        _ready = true;
    }

    /// <summary>The newest durable revision; 0 for an empty store.</summary>
    public long CurrentRevision => _hub.Revision;

    /// <summary>History at or below this revision is gone: reads and watches below it get <see cref="StoreStatus.Compacted"/>.</summary>
    public long CompactRevision => Volatile.Read(ref _compactRevision);

    /// <summary>True from a successful <see cref="OpenAsync"/> until disposal (or an internal writer fault); the host's readiness signal.</summary>
    public bool IsReady => _ready;

    public StoreOptions Options => _options;

    /// <summary>Opens (creating if needed) the database file, recovers the current revision and starts the writer.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public static Task<KeyValueStore> OpenAsync(StoreOptions options, ILogger<KeyValueStore>? logger = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptionsResult validation = new StoreOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(StoreOptions), typeof(StoreOptions), validation.Failures);
        }

        return Task.Run(() => Open(options, logger ?? (ILogger)NullLogger.Instance, timeProvider ?? TimeProvider.System), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ready = false;
        _compactionTimer?.Dispose();
        _writes.Writer.TryComplete();
        await _writerStopped.Task.ConfigureAwait(false);
        _hub.Close();
        _applier.Dispose();
        _writer.Dispose();
        _metrics.Dispose();
        while (_readSessions.TryDequeue(out ReadSession? session))
        {
            session.Dispose();
        }

        Log.StoreClosed(_logger, CurrentRevision);
    }

    private static KeyValueStore Open(StoreOptions options, ILogger logger, TimeProvider timeProvider)
    {
        NativeSqlite.EnsureInitialized();
        string path = Path.GetFullPath(options.DatabasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        CreateOwnerOnly(path);
        string writeConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        string readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString();

        var writer = new SqliteConnection(writeConnectionString);
        try
        {
            writer.Open();
            Execute(writer, Schema.WriterPragmas);
            Execute(writer, Schema.Create);
            long compactRevision = Scalar(writer, Schema.SelectCompactRevision);

            // The newest row may be a tombstone that compaction dropped; no revision above the
            // compacted one is ever dropped, so the larger of the two is the current revision.
            long revision = Math.Max(Scalar(writer, Schema.SelectMaxRevision), compactRevision);
            var store = new KeyValueStore(options, logger, timeProvider, writer, readConnectionString, revision, compactRevision);
            Log.StoreOpened(logger, path, revision, compactRevision);
            return store;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates a missing database file as 0600 before SQLite does (it would use the umask, often 0644).
    /// SQLite gives the -wal and -shm files the database's mode, so the whole store stays owner-only.
    /// An empty file is a valid empty database.
    /// </summary>
    private static void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows() || File.Exists(path))
        {
            return;
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        try
        {
            using (new FileStream(path, options))
            {
            }
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created by someone else in between: theirs to own.
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private ReadSession RentReadSession()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _readSessions.TryDequeue(out ReadSession? session) ? session : new ReadSession(_readConnectionString);
    }

    private void ReturnReadSession(ReadSession session)
    {
        // Approximate count is fine: the cap only bounds idle connections after a burst. A read that
        // finishes while the store closes must not park its connection in the emptied pool.
        if (_readSessions.Count < MaxIdleReadSessions && Volatile.Read(ref _disposed) == 0)
        {
            _readSessions.Enqueue(session);
        }
        else
        {
            session.Dispose();
        }
    }
}
