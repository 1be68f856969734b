using System.Text;
using Appliance.Api.Security;
using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Api.Tests;

/// <summary>The RBAC snapshot follows the store, and a noted write is waited for before deciding.</summary>
public sealed class RbacCacheTests : IAsyncLifetime
{
    private const string Binding = """{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"zoe"}]}""";

    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-rbac-cache-").FullName;
    private KeyValueStore _store = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _store = await KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = Path.Combine(_directory, "state.db") });
        _services = new ServiceCollection().AddSingleton(_store).BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task NotedWrite_IsWaitedFor_UntilTheWatchHasAppliedIt()
    {
        using var cache = new RbacCache(_services, NullLogger<RbacCache>.Instance);
        await cache.StartAsync(CancellationToken.None);
        try
        {
            long next = _store.CurrentRevision + 1;
            cache.NoteWrite(next);
            Task waiting = cache.WaitForWritesAsync(CancellationToken.None).AsTask();
            await Task.Delay(50);
            Assert.False(waiting.IsCompleted);

            WriteResult written = await _store.CreateAsync(RbacSnapshot.KeyPrefix + "clusterrolebindings/zoe", Encoding.UTF8.GetBytes(Binding));
            Assert.Equal(next, written.Revision);
            await waiting.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Contains(cache.Snapshot.ClusterRoleBindings, static b => b.Name == "zoe");
        }
        finally
        {
            await cache.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task DeletedBinding_LeavesTheSnapshot()
    {
        WriteResult created = await _store.CreateAsync(RbacSnapshot.KeyPrefix + "clusterrolebindings/gone", Encoding.UTF8.GetBytes(Binding));
        using var cache = new RbacCache(_services, NullLogger<RbacCache>.Instance);
        await cache.StartAsync(CancellationToken.None);
        try
        {
            Assert.Contains(cache.Snapshot.ClusterRoleBindings, static b => b.Name == "gone");
            WriteResult deleted = await _store.DeleteAsync(RbacSnapshot.KeyPrefix + "clusterrolebindings/gone", created.Revision);
            cache.NoteWrite(deleted.Revision);
            await cache.WaitForWritesAsync(CancellationToken.None);
            Assert.DoesNotContain(cache.Snapshot.ClusterRoleBindings, static b => b.Name == "gone");
        }
        finally
        {
            await cache.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task WritesOfOtherKinds_MoveTheRevisionOn_WithoutRebuildingTheSnapshot()
    {
        using var cache = new RbacCache(_services, NullLogger<RbacCache>.Instance);
        await cache.StartAsync(CancellationToken.None);
        try
        {
            RbacSnapshot before = cache.Snapshot;
            WriteResult written = await _store.CreateAsync("/registry/core/configmaps/default/unrelated", Encoding.UTF8.GetBytes("{}"));
            cache.NoteWrite(written.Revision);
            await cache.WaitForWritesAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Same(before, cache.Snapshot);
        }
        finally
        {
            await cache.StopAsync(CancellationToken.None);
        }
    }
}
