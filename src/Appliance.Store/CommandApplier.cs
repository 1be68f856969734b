using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Appliance.Store;

/// <summary>
/// The state machine step: applies one command at a given revision inside the caller's transaction.
/// It owns no transaction and no clock, so group commit drives it today and a Raft log can tomorrow.
/// A command that fails its precondition writes nothing and uses no revision.
/// </summary>
/// <remarks>
/// The two statements every write runs go through SQLitePCL directly on the writer connection's
/// handle: Microsoft.Data.Sqlite would allocate a reader, a binder per parameter and a box per number
/// on each execution. Compaction is rare and stays on Microsoft.Data.Sqlite.
/// </remarks>
internal sealed class CommandApplier : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _selectLatest;
    private readonly int _latestKey;
    private readonly sqlite3_stmt _insert;
    private readonly int _insertId;
    private readonly int _insertKey;
    private readonly int _insertCreate;
    private readonly int _insertPrev;
    private readonly int _insertDeleted;
    private readonly int _insertValue;
    private readonly SqliteCommand _compactSuperseded;
    private readonly SqliteCommand _compactTombstones;
    private readonly SqliteCommand _updateCompactRevision;

    public CommandApplier(SqliteConnection connection)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The writer connection is not open.");
        _selectLatest = Prepare(Schema.SelectLatest);
        _latestKey = raw.sqlite3_bind_parameter_index(_selectLatest, "$key");
        _insert = Prepare(Schema.Insert);
        _insertId = raw.sqlite3_bind_parameter_index(_insert, "$id");
        _insertKey = raw.sqlite3_bind_parameter_index(_insert, "$key");
        _insertCreate = raw.sqlite3_bind_parameter_index(_insert, "$create_revision");
        _insertPrev = raw.sqlite3_bind_parameter_index(_insert, "$prev_revision");
        _insertDeleted = raw.sqlite3_bind_parameter_index(_insert, "$deleted");
        _insertValue = raw.sqlite3_bind_parameter_index(_insert, "$value");

        _compactSuperseded = connection.CreateCommand();
        _compactSuperseded.CommandText = Schema.CompactSuperseded;
        _compactSuperseded.Parameters.Add("$from", SqliteType.Integer);
        _compactSuperseded.Parameters.Add("$to", SqliteType.Integer);
        _compactTombstones = connection.CreateCommand();
        _compactTombstones.CommandText = Schema.CompactTombstones;
        _compactTombstones.Parameters.Add("$from", SqliteType.Integer);
        _compactTombstones.Parameters.Add("$to", SqliteType.Integer);
        _updateCompactRevision = connection.CreateCommand();
        _updateCompactRevision.CommandText = Schema.UpdateCompactRevision;
        _updateCompactRevision.Parameters.Add("$to", SqliteType.Integer);
    }

    /// <summary>Binds the compaction statements to the batch's transaction (Microsoft.Data.Sqlite requires it).</summary>
    public void Begin(SqliteTransaction transaction)
    {
        _compactSuperseded.Transaction = transaction;
        _compactTombstones.Transaction = transaction;
        _updateCompactRevision.Transaction = transaction;
    }

    /// <summary>Applies a create, update or delete as <paramref name="revision"/>.</summary>
    public WriteResult Apply(in StoreCommand command, long revision, out WatchEvent? watchEvent)
    {
        watchEvent = null;
        long latestId = 0;
        long createRevision = 0;
        bool exists = false;
        byte[]? latestValue = null;
        try
        {
            Check(raw.sqlite3_bind_text16(_selectLatest, _latestKey, command.Key));
            int rc = raw.sqlite3_step(_selectLatest);
            if (rc == raw.SQLITE_ROW)
            {
                latestId = raw.sqlite3_column_int64(_selectLatest, 0);
                createRevision = raw.sqlite3_column_int64(_selectLatest, 1);
                exists = raw.sqlite3_column_int64(_selectLatest, 2) == 0;
                if (exists && command.Kind == CommandKind.Delete)
                {
                    latestValue = raw.sqlite3_column_blob(_selectLatest, 3).ToArray();
                }
            }
            else if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }
        }
        finally
        {
            raw.sqlite3_reset(_selectLatest);
        }

        switch (command.Kind)
        {
            case CommandKind.Create:
                if (exists)
                {
                    return new WriteResult(StoreStatus.AlreadyExists, latestId);
                }

                // prev_revision still points at a tombstone, if any, so compaction can find and drop it.
                Insert(revision, command.Key, revision, latestId, deleted: false, command.Value);
                watchEvent = new WatchEvent(WatchEventType.Put, command.Key, command.Value, revision, revision, 0);
                return new WriteResult(StoreStatus.Ok, revision);

            case CommandKind.Update:
            case CommandKind.Delete:
                if (!exists)
                {
                    return new WriteResult(StoreStatus.NotFound, 0);
                }

                if (command.ExpectedRevision != 0 && command.ExpectedRevision != latestId)
                {
                    return new WriteResult(StoreStatus.Conflict, latestId);
                }

                bool delete = command.Kind == CommandKind.Delete;
                byte[] value = delete ? latestValue! : command.Value;
                Insert(revision, command.Key, createRevision, latestId, delete, value);
                watchEvent = new WatchEvent(delete ? WatchEventType.Delete : WatchEventType.Put, command.Key, value, revision, createRevision, latestId);
                return new WriteResult(StoreStatus.Ok, revision);

            default:
                throw new ArgumentOutOfRangeException(nameof(command), command.Kind, "Not a key write.");
        }
    }

    /// <summary>Drops the history in (<paramref name="from"/>, <paramref name="to"/>] and records the new compacted revision.</summary>
    public void Compact(long from, long to)
    {
        _compactSuperseded.Parameters[0].Value = from;
        _compactSuperseded.Parameters[1].Value = to;
        _compactSuperseded.ExecuteNonQuery();
        _compactTombstones.Parameters[0].Value = from;
        _compactTombstones.Parameters[1].Value = to;
        _compactTombstones.ExecuteNonQuery();
        _updateCompactRevision.Parameters[0].Value = to;
        _updateCompactRevision.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _selectLatest.Dispose();
        _insert.Dispose();
        _compactSuperseded.Dispose();
        _compactTombstones.Dispose();
        _updateCompactRevision.Dispose();
    }

    private void Insert(long id, string key, long createRevision, long prevRevision, bool deleted, byte[] value)
    {
        try
        {
            Check(raw.sqlite3_bind_int64(_insert, _insertId, id));
            Check(raw.sqlite3_bind_text16(_insert, _insertKey, key));
            Check(raw.sqlite3_bind_int64(_insert, _insertCreate, createRevision));
            Check(raw.sqlite3_bind_int64(_insert, _insertPrev, prevRevision));
            Check(raw.sqlite3_bind_int64(_insert, _insertDeleted, deleted ? 1 : 0));

            // A zero-length blob binds as NULL through a span; the column is NOT NULL.
            Check(value.Length == 0
                ? raw.sqlite3_bind_zeroblob(_insert, _insertValue, 0)
                : raw.sqlite3_bind_blob(_insert, _insertValue, value));
            int rc = raw.sqlite3_step(_insert);
            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }
        }
        finally
        {
            raw.sqlite3_reset(_insert);
        }
    }

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out sqlite3_stmt statement));
        return statement;
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
