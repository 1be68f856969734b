using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Appliance.Store.Tests;

/// <summary>
/// kill -9 safety: a child process writes from several writers and prints each write the store
/// acknowledged; we SIGKILL it at a random moment, reopen the file and check nothing acknowledged is lost.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Rounds = 24;
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(20);

    private readonly TestDirectory _directory = new();

    [Fact(Timeout = TestTimeouts.CrashTest)]
    public async Task EveryAcknowledgedWrite_SurvivesSigkill_RevisionsStayContiguous_FilePassesIntegrityCheck()
    {
        var random = new Random(1234);
        var stopwatch = Stopwatch.StartNew();
        int acknowledged = 0;
        for (int round = 0; round < Rounds; round++)
        {
            List<(char Operation, string Key, long Revision)> acks = await RunAndKillAsync(round, TimeSpan.FromMilliseconds(random.Next(0, 250)));
            Assert.NotEmpty(acks);
            acknowledged += acks.Count;

            await using (KeyValueStore store = await KeyValueStore.OpenAsync(new StoreOptions
            {
                DatabasePath = _directory.DatabasePath,
                CompactionInterval = Timeout.InfiniteTimeSpan,
            }))
            {
                // Nothing is compacted, so the history shows each acknowledged write at its revision.
                foreach ((char operation, string key, long revision) in acks)
                {
                    GetResult at = store.Get(key, revision);
                    if (operation == 'D')
                    {
                        Assert.True(at.Status == StoreStatus.NotFound, $"round {round}: acknowledged delete of {key} at {revision} reads {at.Status}");
                        Assert.Equal(StoreStatus.Ok, store.Get(key, revision - 1).Status);
                    }
                    else
                    {
                        Assert.True(at.Status == StoreStatus.Ok, $"round {round}: acknowledged {operation} of {key} at {revision} reads {at.Status}");
                        Assert.Equal(revision, at.Item!.ModRevision);
                    }
                }

                (long count, long min, long max) = Query<(long, long, long)>(
                    "SELECT COUNT(*), MIN(id), MAX(id) FROM kv", r => (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
                Assert.Equal(1, min);
                Assert.Equal(max, count);
                Assert.Equal(max, store.CurrentRevision);
            }

            Assert.Equal("ok", Query("PRAGMA integrity_check", r => r.GetString(0)));
        }

        output.WriteLine($"{Rounds} SIGKILL rounds, {acknowledged} acknowledged writes, all present, in {stopwatch.Elapsed.TotalSeconds:0.0} s");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(120), $"{Rounds} rounds took {stopwatch.Elapsed}");
        Assert.True(acknowledged > Rounds, $"only {acknowledged} writes acknowledged");
    }

    public void Dispose() => _directory.Dispose();

    private async Task<List<(char Operation, string Key, long Revision)>> RunAndKillAsync(int round, TimeSpan killAfterFirstAck)
    {
        string child = Path.Combine(AppContext.BaseDirectory, "Appliance.Store.CrashChild.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(_directory.DatabasePath);
        start.ArgumentList.Add(round.ToString(CultureInfo.InvariantCulture));

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(RoundTimeout);
        var acks = new List<(char, string, long)>();
        try
        {
            Task<string> errors = process.StandardError.ReadToEndAsync(timeout.Token);
            string? first = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (first is null)
            {
                Assert.Fail($"child exited before any write: {await errors}");
            }

            Add(acks, first);
            await Task.Delay(killAfterFirstAck, timeout.Token);
        }
        finally
        {
            process.Kill(); // SIGKILL on Linux: no managed shutdown, no flush.
        }

        await process.WaitForExitAsync(timeout.Token);

        // Lines already in the pipe were printed after their writes were acknowledged.
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            Add(acks, line);
        }

        return acks;
    }

    private static void Add(List<(char, string, long)> acks, string line)
    {
        // "<C|U|D> <key> <revision> ok". The kill can cut the last line short (a cut number would still
        // parse): only a line that reached its "ok" counts as acknowledged.
        string[] parts = line.Split(' ');
        if (parts.Length == 4 && parts[3] == "ok" && parts[0].Length == 1
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long revision))
        {
            acks.Add((parts[0][0], parts[1], revision));
        }
    }

    private T Query<T>(string sql, Func<SqliteDataReader, T> read)
    {
        using var connection = new SqliteConnection($"Data Source={_directory.DatabasePath};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using SqliteDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return read(reader);
    }
}
