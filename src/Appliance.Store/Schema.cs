namespace Appliance.Store;

/// <summary>
/// A kine-like revisioned log: every write is a new row whose id is the global revision. The newest row
/// of a key is its current state; a delete is a row with deleted = 1 that keeps the last value (watchers
/// get it in the DELETED event). prev_revision chains the rows of a key, which is what compaction walks.
/// </summary>
internal static class Schema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS kv (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            create_revision INTEGER NOT NULL,
            prev_revision INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            value BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id);
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', 1), ('compact_revision', 0);
        """;

    // auto_vacuum must be set before anything is written to a new file (WAL mode writes the header);
    // it lets compaction hand pages back to the file system with incremental_vacuum instead of a
    // blocking VACUUM. On an existing file it is a no-op. journal_size_limit truncates the WAL back to
    // 64 MiB after a checkpoint, so a burst does not leave a large WAL file behind for good.
    public const string WriterPragmas = """
        PRAGMA auto_vacuum = INCREMENTAL;
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = FULL;
        PRAGMA journal_size_limit = 67108864;
        PRAGMA temp_store = MEMORY;
        """;

    public const string ReaderPragmas = """
        PRAGMA busy_timeout = 5000;
        PRAGMA query_only = 1;
        """;

    public const string SelectCompactRevision = "SELECT value FROM meta WHERE name = 'compact_revision'";

    public const string SelectMaxRevision = "SELECT COALESCE(MAX(id), 0) FROM kv";

    public const string SelectLatest = "SELECT id, create_revision, deleted, value FROM kv WHERE key = $key ORDER BY id DESC LIMIT 1";

    public const string Insert = """
        INSERT INTO kv (id, key, create_revision, prev_revision, deleted, value)
        VALUES ($id, $key, $create_revision, $prev_revision, $deleted, $value)
        """;

    public const string SelectAt = "SELECT id, create_revision, deleted, value FROM kv WHERE key = $key AND id <= $rev ORDER BY id DESC LIMIT 1";

    // SQLite takes bare columns from the row holding MAX(id), so one indexed pass over (key, id) yields
    // the newest row per key at $rev in key order and LIMIT stops it early.
    private const string RangeColumns = "SELECT MAX(id), key, create_revision, deleted, value FROM kv";

    public const string RangeFirst = RangeColumns + """
         WHERE key >= $start AND key < $end AND id <= $rev
        GROUP BY key HAVING deleted = 0 ORDER BY key LIMIT $limit
        """;

    public const string RangeAfter = RangeColumns + """
         WHERE key > $start AND key < $end AND id <= $rev
        GROUP BY key HAVING deleted = 0 ORDER BY key LIMIT $limit
        """;

    public const string Events = """
        SELECT id, key, create_revision, prev_revision, deleted, value FROM kv
        WHERE id > $after AND id <= $upto AND key >= $start AND key < $end ORDER BY id LIMIT $limit
        """;

    // Every row superseded by a row at or below the target is history; so is a tombstone at or below it.
    // Walking only (from, to] makes each step incremental: rows superseded earlier are already gone.
    public const string CompactSuperseded = """
        DELETE FROM kv WHERE id IN (
            SELECT prev_revision FROM kv WHERE id > $from AND id <= $to AND prev_revision <> 0)
        """;

    public const string CompactTombstones = "DELETE FROM kv WHERE id > $from AND id <= $to AND deleted = 1";

    public const string UpdateCompactRevision = "UPDATE meta SET value = $to WHERE name = 'compact_revision'";
}
