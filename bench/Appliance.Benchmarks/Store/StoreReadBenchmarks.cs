using Appliance.Store;
using BenchmarkDotNet.Attributes;

namespace Appliance.Benchmarks.Store;

/// <summary>
/// Reads against 10,000 keys (10 namespaces of 1,000 pods, 1 KiB each, every key updated once so
/// there is history to skip), the shape of a small management cluster.
/// </summary>
[MemoryDiagnoser]
public class StoreReadBenchmarks
{
    private const int Namespaces = 10;
    private const int PerNamespace = 1000;

    private string _directory = "";
    private KeyValueStore _store = null!;
    private long _seededRevision;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = StoreBenchmarkFiles.NewDirectory();
        _store = await KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = Path.Combine(_directory, "state.db") });
        byte[] value = new byte[1024];
        var writes = new List<Task>();
        for (int ns = 0; ns < Namespaces; ns++)
        {
            for (int i = 0; i < PerNamespace; i++)
            {
                writes.Add(_store.CreateAsync($"/registry/pods/ns{ns}/pod-{i:D4}", value).AsTask());
            }
        }

        await Task.WhenAll(writes);
        _seededRevision = _store.CurrentRevision;
        writes.Clear();
        for (int ns = 0; ns < Namespaces; ns++)
        {
            for (int i = 0; i < PerNamespace; i++)
            {
                writes.Add(_store.UpdateAsync($"/registry/pods/ns{ns}/pod-{i:D4}", value, 0).AsTask());
            }
        }

        await Task.WhenAll(writes);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public GetResult Get() => _store.Get("/registry/pods/ns5/pod-0500");

    [Benchmark]
    public GetResult GetAtPastRevision() => _store.Get("/registry/pods/ns5/pod-0500", _seededRevision);

    /// <summary>The first page of a paged list (kubectl and informers list in pages of 500; 100 here).</summary>
    [Benchmark]
    public RangeResult RangeFirstPageOf100() => _store.Range("/registry/pods/ns5/", limit: 100);

    /// <summary>A whole namespace of 1,000 objects in one call.</summary>
    [Benchmark]
    public RangeResult RangeNamespace() => _store.Range("/registry/pods/ns5/");
}
