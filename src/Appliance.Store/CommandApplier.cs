using Microsoft.Data.Sqlite;

namespace Appliance.Store;

/// <summary>
/// The state machine step: applies one command at a given revision inside the caller's transaction.
/// It owns no transaction and no clock, so group commit drives it today and a Raft log can tomorrow.
/// A command that fails its precondition writes nothing and uses no revision.
/// </summary>
internal sealed class CommandApplier : IDisposable
{
    private readonly SqliteCommand _selectLatest;
    private readonly SqliteParameter _latestKey;
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter _insertId;
    private readonly SqliteParameter _insertKey;
    private readonly SqliteParameter _insertCreate;
    private readonly SqliteParameter _insertPrev;
    private readonly SqliteParameter _insertDeleted;
    private readonly SqliteParameter _insertValue;
    private readonly SqliteCommand _compactSuperseded;
    private readonly SqliteCommand _compactTombstones;
    private readonly SqliteCommand _updateCompactRevision;

    public CommandApplier(SqliteConnection connection)
    {
        _selectLatest = connection.CreateCommand();
        _selectLatest.CommandText = Schema.SelectLatest;
        _latestKey = _selectLatest.Parameters.Add("$key", SqliteType.Text);

        _insert = connection.CreateCommand();
        _insert.CommandText = Schema.Insert;
        _insertId = _insert.Parameters.Add("$id", SqliteType.Integer);
        _insertKey = _insert.Parameters.Add("$key", SqliteType.Text);
        _insertCreate = _insert.Parameters.Add("$create_revision", SqliteType.Integer);
        _insertPrev = _insert.Parameters.Add("$prev_revision", SqliteType.Integer);
        _insertDeleted = _insert.Parameters.Add("$deleted", SqliteType.Integer);
        _insertValue = _insert.Parameters.Add("$value", SqliteType.Blob);

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

        _selectLatest.Prepare();
        _insert.Prepare();
    }

    /// <summary>Binds the prepared statements to the batch's transaction (Microsoft.Data.Sqlite requires it).</summary>
    public void Begin(SqliteTransaction transaction)
    {
        _selectLatest.Transaction = transaction;
        _insert.Transaction = transaction;
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
        _latestKey.Value = command.Key;
        using (SqliteDataReader reader = _selectLatest.ExecuteReader())
        {
            if (reader.Read())
            {
                latestId = reader.GetInt64(0);
                createRevision = reader.GetInt64(1);
                exists = reader.GetInt64(2) == 0;
                if (exists && command.Kind == CommandKind.Delete)
                {
                    latestValue = (byte[])reader.GetValue(3);
                }
            }
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
        _insertId.Value = id;
        _insertKey.Value = key;
        _insertCreate.Value = createRevision;
        _insertPrev.Value = prevRevision;
        _insertDeleted.Value = deleted ? 1L : 0L;
        _insertValue.Value = value;
        _insert.ExecuteNonQuery();
    }
}
