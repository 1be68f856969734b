using Microsoft.Data.Sqlite;

namespace Appliance.Store;

/// <summary>
/// One read-only connection with its statements prepared once. WAL lets any number of these read while
/// the writer commits; each statement reads one consistent snapshot.
/// </summary>
internal sealed class ReadSession : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _get;
    private readonly SqliteCommand _rangeFirst;
    private readonly SqliteCommand _rangeAfter;
    private readonly SqliteCommand _events;

    public ReadSession(string connectionString)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        using (SqliteCommand pragmas = _connection.CreateCommand())
        {
            pragmas.CommandText = Schema.ReaderPragmas;
            pragmas.ExecuteNonQuery();
        }

        _get = Prepare(Schema.SelectAt, "$key", "$rev");
        _rangeFirst = Prepare(Schema.RangeFirst, "$start", "$end", "$rev", "$limit");
        _rangeAfter = Prepare(Schema.RangeAfter, "$start", "$end", "$rev", "$limit");
        _events = Prepare(Schema.Events, "$after", "$upto", "$start", "$end", "$limit");
    }

    public KeyValue? Get(string key, long revision)
    {
        _get.Parameters[0].Value = key;
        _get.Parameters[1].Value = revision;
        using SqliteDataReader reader = _get.ExecuteReader();
        if (!reader.Read() || reader.GetInt64(2) != 0)
        {
            return null;
        }

        return new KeyValue(key, (byte[])reader.GetValue(3), reader.GetInt64(1), reader.GetInt64(0));
    }

    /// <summary>Reads up to <paramref name="limit"/> live keys after (or from) <paramref name="start"/> at <paramref name="revision"/>.</summary>
    public void Range(string start, bool exclusive, string end, long revision, int limit, List<KeyValue> into)
    {
        SqliteCommand command = exclusive ? _rangeAfter : _rangeFirst;
        command.Parameters[0].Value = start;
        command.Parameters[1].Value = end;
        command.Parameters[2].Value = revision;
        command.Parameters[3].Value = limit;
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            into.Add(new KeyValue(reader.GetString(1), (byte[])reader.GetValue(4), reader.GetInt64(2), reader.GetInt64(0)));
        }
    }

    /// <summary>Reads the events in (<paramref name="after"/>, <paramref name="upTo"/>] under a prefix, in revision order.</summary>
    public void Events(long after, long upTo, string start, string end, int limit, List<WatchEvent> into)
    {
        _events.Parameters[0].Value = after;
        _events.Parameters[1].Value = upTo;
        _events.Parameters[2].Value = start;
        _events.Parameters[3].Value = end;
        _events.Parameters[4].Value = limit;
        using SqliteDataReader reader = _events.ExecuteReader();
        while (reader.Read())
        {
            long id = reader.GetInt64(0);
            long createRevision = reader.GetInt64(2);
            bool deleted = reader.GetInt64(4) != 0;

            // A create's stored prev_revision may point at an old tombstone; to a watcher a create has none.
            long prevRevision = createRevision == id ? 0 : reader.GetInt64(3);
            into.Add(new WatchEvent(
                deleted ? WatchEventType.Delete : WatchEventType.Put,
                reader.GetString(1),
                (byte[])reader.GetValue(5),
                id,
                createRevision,
                prevRevision));
        }
    }

    public void Dispose()
    {
        _get.Dispose();
        _rangeFirst.Dispose();
        _rangeAfter.Dispose();
        _events.Dispose();
        _connection.Dispose();
    }

    private SqliteCommand Prepare(string sql, params ReadOnlySpan<string> names)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (string name in names)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }
}
