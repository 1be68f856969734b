using Appliance.Store;
using BenchmarkDotNet.Attributes;

namespace Appliance.Benchmarks.Store;

/// <summary>
/// The durable write path: each operation returns only after its group commit has been fsynced, so
/// these measure the disk as much as the code; allocations are the code's alone.
/// </summary>
[MemoryDiagnoser]
public class StoreWriteBenchmarks
{
    private const int ConcurrentWriters = 64;

    private readonly byte[] _value = new byte[256];
    private readonly string[] _keys = new string[ConcurrentWriters];
    private readonly Task<WriteResult>[] _writes = new Task<WriteResult>[ConcurrentWriters];
    private string _directory = "";
    private KeyValueStore _store = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = StoreBenchmarkFiles.NewDirectory();
        _store = await KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = Path.Combine(_directory, "state.db") });
        for (int i = 0; i < ConcurrentWriters; i++)
        {
            _keys[i] = $"/registry/configmaps/default/cm-{i:D2}";
            await _store.CreateAsync(_keys[i], _value);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>One writer alone: one transaction and one fsync per update.</summary>
    [Benchmark]
    public ValueTask<WriteResult> UpdateOneWriter() => _store.UpdateAsync(_keys[0], _value, 0);

    /// <summary>64 concurrent updates: group commit shares transactions and fsyncs between them.</summary>
    [Benchmark(OperationsPerInvoke = ConcurrentWriters)]
    public async Task Update64ConcurrentWriters()
    {
        for (int i = 0; i < ConcurrentWriters; i++)
        {
            _writes[i] = _store.UpdateAsync(_keys[i], _value, 0).AsTask();
        }

        await Task.WhenAll(_writes);
    }
}
