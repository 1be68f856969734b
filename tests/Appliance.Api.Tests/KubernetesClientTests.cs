using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Appliance.Api.Tests;

/// <summary>
/// The API driven by the official C# client (KubernetesClient), configured from the fixture's kubeconfig
/// exactly as a user's program would be: list + watch resumption, optimistic concurrency, paging, and the
/// list-then-watch loop of a client-go informer.
/// </summary>
public sealed class KubernetesClientTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>, IDisposable
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);

    private readonly Kubernetes _client = new(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task WatchFromTheListsResourceVersion_SeesExactlyTheLaterChangesInOrder_AndResumesFromTheLastEvent()
    {
        string ns = await server.CreateNamespaceAsync();
        await CreateAsync(ns, "a", "1");
        await CreateAsync(ns, "b", "1");
        V1ConfigMapList list = await _client.CoreV1.ListNamespacedConfigMapAsync(ns);
        Assert.Equal(["a", "b"], list.Items.Select(i => i.Metadata.Name).Order());
        string listVersion = list.Metadata.ResourceVersion;
        Assert.False(string.IsNullOrEmpty(listVersion));

        // Three changes after the list, none of them seen by it.
        V1ConfigMap c = await CreateAsync(ns, "c", "1");
        V1ConfigMap a = list.Items.Single(i => i.Metadata.Name == "a");
        a.Data["v"] = "2";
        V1ConfigMap a2 = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(a, "a", ns);
        await _client.CoreV1.DeleteNamespacedConfigMapAsync("b", ns);

        long lastVersion;
        await using (var watch = new ClientWatch(_client, ns, listVersion))
        {
            (WatchEventType type, V1ConfigMap obj) = await watch.NextAsync(EventTimeout);
            Assert.Equal((WatchEventType.Added, "c"), (type, obj.Metadata.Name));
            Assert.Equal(c.Metadata.ResourceVersion, obj.Metadata.ResourceVersion);

            (type, obj) = await watch.NextAsync(EventTimeout);
            Assert.Equal((WatchEventType.Modified, "a"), (type, obj.Metadata.Name));
            Assert.Equal("2", obj.Data["v"]);
            Assert.Equal(a2.Metadata.ResourceVersion, obj.Metadata.ResourceVersion);

            (type, obj) = await watch.NextAsync(EventTimeout);
            Assert.Equal((WatchEventType.Deleted, "b"), (type, obj.Metadata.Name));
            lastVersion = Version(obj);
            Assert.True(lastVersion > Version(a2));

            // Nothing else was queued before a write made now: its event is the very next one.
            await CreateAsync(ns, "sentinel-1", "1");
            (type, obj) = await watch.NextAsync(EventTimeout);
            Assert.Equal((WatchEventType.Added, "sentinel-1"), (type, obj.Metadata.Name));
            Assert.Empty(watch.Errors);
        }

        Assert.True(long.Parse(listVersion) < Version(c));

        // More changes while nobody watches; a second watch resumes after the DELETED event.
        c.Data["v"] = "2";
        await _client.CoreV1.ReplaceNamespacedConfigMapAsync(c, "c", ns);
        await CreateAsync(ns, "e", "1");
        await using (var resumed = new ClientWatch(_client, ns, lastVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var seen = new List<(WatchEventType, string)>();
            var versions = new List<long>();
            for (int i = 0; i < 3; i++)
            {
                (WatchEventType type, V1ConfigMap obj) = await resumed.NextAsync(EventTimeout);
                seen.Add((type, obj.Metadata.Name));
                versions.Add(Version(obj));
            }

            Assert.Equal([(WatchEventType.Added, "sentinel-1"), (WatchEventType.Modified, "c"), (WatchEventType.Added, "e")], seen);
            Assert.True(versions[0] > lastVersion);
            Assert.Equal(versions.Order(), versions);
            Assert.Equal(versions.Count, versions.Distinct().Count());

            await CreateAsync(ns, "sentinel-2", "1");
            (WatchEventType lastType, V1ConfigMap last) = await resumed.NextAsync(EventTimeout);
            Assert.Equal((WatchEventType.Added, "sentinel-2"), (lastType, last.Metadata.Name));
            Assert.Empty(resumed.Errors);
        }

        // Resuming from the newest event's version replays nothing.
        string newest = (await _client.CoreV1.ReadNamespacedConfigMapAsync("sentinel-2", ns)).Metadata.ResourceVersion;
        await using (var quiet = new ClientWatch(_client, ns, newest))
        {
            await CreateAsync(ns, "sentinel-3", "1");
            (WatchEventType type, V1ConfigMap obj) = await quiet.NextAsync(EventTimeout);
            Assert.Equal((WatchEventType.Added, "sentinel-3"), (type, obj.Metadata.Name));
        }
    }

    [Fact]
    public async Task Replace_WithAStaleResourceVersion_Is409ConflictAndChangesNothing()
    {
        string ns = await server.CreateNamespaceAsync();
        V1ConfigMap created = await CreateAsync(ns, "cas", "1");
        string stale = created.Metadata.ResourceVersion;

        created.Data["v"] = "2";
        V1ConfigMap updated = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "cas", ns);
        Assert.NotEqual(stale, updated.Metadata.ResourceVersion);

        var late = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "cas", NamespaceProperty = ns, ResourceVersion = stale },
            Data = new Dictionary<string, string> { ["v"] = "3" },
        };
        HttpOperationException conflict = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReplaceNamespacedConfigMapAsync(late, "cas", ns));
        AssertConflict(conflict, "cas");

        V1ConfigMap current = await _client.CoreV1.ReadNamespacedConfigMapAsync("cas", ns);
        Assert.Equal("2", current.Data["v"]);
        Assert.Equal(updated.Metadata.ResourceVersion, current.Metadata.ResourceVersion);

        // A merge patch carrying the stale version is a precondition and fails the same way.
        var patch = new V1Patch("{\"metadata\":{\"resourceVersion\":\"" + stale + "\"},\"data\":{\"v\":\"4\"}}", V1Patch.PatchType.MergePatch);
        AssertConflict(await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedConfigMapAsync(patch, "cas", ns)), "cas");

        // The client's usual retry: re-read, re-apply, replace with the fresh version.
        current.Data["v"] = "3";
        V1ConfigMap retried = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(current, "cas", ns);
        Assert.Equal("3", retried.Data["v"]);
        Assert.True(Version(retried) > Version(updated));
    }

    [Fact]
    public async Task Delete_WithAStaleResourceVersionPrecondition_Is409Conflict()
    {
        string ns = await server.CreateNamespaceAsync();
        V1ConfigMap created = await CreateAsync(ns, "guarded", "1");
        created.Data["v"] = "2";
        V1ConfigMap updated = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "guarded", ns);

        var stale = new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = created.Metadata.ResourceVersion } };
        AssertConflict(await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.DeleteNamespacedConfigMapAsync("guarded", ns, stale)), "guarded");
        Assert.Equal("2", (await _client.CoreV1.ReadNamespacedConfigMapAsync("guarded", ns)).Data["v"]);

        var fresh = new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = updated.Metadata.ResourceVersion } };
        await _client.CoreV1.DeleteNamespacedConfigMapAsync("guarded", ns, fresh);
        HttpOperationException gone = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedConfigMapAsync("guarded", ns));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task List_WithLimitAndContinue_Pages25ConfigMapsInThreePagesOfOneSnapshot()
    {
        string ns = await server.CreateNamespaceAsync();
        string[] names = [.. Enumerable.Range(0, 25).Select(i => $"cm-{i:D2}")];
        foreach (string name in names.Reverse())
        {
            await CreateAsync(ns, name, name);
        }

        var pages = new List<V1ConfigMapList>();
        string? token = null;
        do
        {
            Assert.True(pages.Count < 10, "the continue chain does not end");
            V1ConfigMapList page = await _client.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 10, continueParameter: token);
            pages.Add(page);
            token = page.Metadata.ContinueProperty;
            if (pages.Count == 1)
            {
                // Written between pages: the later pages are read at the first page's revision and miss it.
                await CreateAsync(ns, "cm-99", "late");
                await _client.CoreV1.DeleteNamespacedConfigMapAsync("cm-24", ns);
            }
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal([10, 10, 5], pages.Select(p => p.Items.Count));
        Assert.All(pages.Take(2), p => Assert.False(string.IsNullOrEmpty(p.Metadata.ContinueProperty)));
        Assert.Single(pages.Select(p => p.Metadata.ResourceVersion).Distinct());
        Assert.Equal(names, pages.SelectMany(p => p.Items).Select(i => i.Metadata.Name));
        Assert.All(pages.SelectMany(p => p.Items), i => Assert.Equal(i.Metadata.Name, i.Data["v"]));
        Assert.All(pages.SelectMany(p => p.Items), i => Assert.True(Version(i) <= long.Parse(pages[0].Metadata.ResourceVersion)));

        // A fresh list sees the writes made in between.
        V1ConfigMapList now = await _client.CoreV1.ListNamespacedConfigMapAsync(ns);
        Assert.Equal([.. names[..24], "cm-99"], now.Items.Select(i => i.Metadata.Name));
        Assert.True(long.Parse(now.Metadata.ResourceVersion) > long.Parse(pages[0].Metadata.ResourceVersion));
    }

    /// <summary>
    /// What client-go's reflector does: list (paged, resourceVersion "0"), watch from the list's version with
    /// bookmarks and a server-side timeout, re-watch from the last version seen (events and bookmarks) when
    /// the server ends the watch, relist on 410. The cache it keeps equals the server's state.
    /// </summary>
    [Fact]
    public async Task Informer_ListThenWatchWithBookmarksAndRewatch_KeepsACacheEqualToTheServer()
    {
        string ns = await server.CreateNamespaceAsync();
        foreach (string name in new[] { "a0", "a1", "a2", "a3", "a4" })
        {
            await CreateAsync(ns, name, "1");
        }

        var informer = new Informer(_client, ns);
        await informer.RelistAsync(pageSize: 2);
        Assert.Equal(["a0", "a1", "a2", "a3", "a4"], informer.Cache.Keys.Order());
        Assert.Equal(3, informer.ListPages);

        // Changes before the watch starts, then one while it runs.
        V1ConfigMap b0 = await CreateAsync(ns, "b0", "1");
        await PatchValueAsync(ns, "a0", "2");
        await _client.CoreV1.DeleteNamespacedConfigMapAsync("a1", ns);
        var stopwatch = Stopwatch.StartNew();
        WatchOutcome first = await informer.WatchUntilEndAsync(timeoutSeconds: 2, EventTimeout, onEvent: async (seen) =>
        {
            if (seen == 3)
            {
                await PatchValueAsync(ns, "b0", "2");
            }
        });
        Assert.Equal(WatchOutcome.EndedByServer, first);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(9));
        Assert.Equal([(WatchEventType.Added, "b0"), (WatchEventType.Modified, "a0"), (WatchEventType.Deleted, "a1"), (WatchEventType.Modified, "b0")], informer.TakeEvents());
        Assert.True(informer.Bookmarks >= 1, "no BOOKMARK in a 2 s watch with a 300 ms bookmark interval");
        Assert.True(informer.LastBookmarkVersion >= Version(b0));
        Assert.Empty(informer.Errors);

        // Changes while disconnected arrive on the re-watch from the last version seen, and only those.
        await CreateAsync(ns, "b1", "1");
        await _client.CoreV1.DeleteNamespacedConfigMapAsync("a2", ns);
        Assert.Equal(WatchOutcome.EndedByServer, await informer.WatchUntilEndAsync(timeoutSeconds: 1, EventTimeout));
        Assert.Equal([(WatchEventType.Added, "b1"), (WatchEventType.Deleted, "a2")], informer.TakeEvents());
        await AssertCacheMatchesServerAsync(informer, ns, ["a0", "a3", "a4", "b0", "b1"]);

        // Compaction past the informer's version: the watch fails with 410 Expired, the informer relists.
        string before = informer.LastVersion;
        await CreateAsync(ns, "c0", "1");
        await server.Store.CompactAsync(server.Store.CurrentRevision);
        Assert.Equal(WatchOutcome.Expired, await informer.WatchUntilEndAsync(timeoutSeconds: 5, EventTimeout));
        Assert.Empty(informer.TakeEvents());
        KubernetesException expired = Assert.IsType<KubernetesException>(Assert.Single(informer.Errors));
        Assert.Equal(410, expired.Status.Code);
        Assert.Equal("Expired", expired.Status.Reason);
        Assert.Equal(before, informer.LastVersion);
        Assert.DoesNotContain("c0", informer.Cache.Keys);

        informer.Errors.Clear();
        await informer.RelistAsync(pageSize: 500);
        await AssertCacheMatchesServerAsync(informer, ns, ["a0", "a3", "a4", "b0", "b1", "c0"]);
        await CreateAsync(ns, "c1", "1");
        Assert.Equal(WatchOutcome.EndedByServer, await informer.WatchUntilEndAsync(timeoutSeconds: 1, EventTimeout));
        Assert.Equal([(WatchEventType.Added, "c1")], informer.TakeEvents());
        await AssertCacheMatchesServerAsync(informer, ns, ["a0", "a3", "a4", "b0", "b1", "c0", "c1"]);
    }

    private async Task AssertCacheMatchesServerAsync(Informer informer, string ns, string[] expected)
    {
        V1ConfigMapList truth = await _client.CoreV1.ListNamespacedConfigMapAsync(ns);
        Assert.Equal(expected, truth.Items.Select(i => i.Metadata.Name));
        Assert.Equal(
            truth.Items.Select(i => (i.Metadata.Name, i.Metadata.ResourceVersion, i.Data["v"])),
            informer.Cache.Values.OrderBy(i => i.Metadata.Name, StringComparer.Ordinal).Select(i => (i.Metadata.Name, i.Metadata.ResourceVersion, i.Data["v"])));
    }

    private static void AssertConflict(HttpOperationException exception, string name)
    {
        Assert.Equal(HttpStatusCode.Conflict, exception.Response.StatusCode);
        V1Status status = KubernetesJson.Deserialize<V1Status>(exception.Response.Content);
        Assert.Equal("Status", status.Kind);
        Assert.Equal("Failure", status.Status);
        Assert.Equal("Conflict", status.Reason);
        Assert.Equal(409, status.Code);
        Assert.Contains("the object has been modified", status.Message, StringComparison.Ordinal);
        Assert.Equal(name, status.Details?.Name);
        Assert.Equal("configmaps", status.Details?.Kind);
    }

    private Task<V1ConfigMap> CreateAsync(string ns, string name, string value)
        => _client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = value } }, ns);

    private Task<V1ConfigMap> PatchValueAsync(string ns, string name, string value)
        => _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"v\":\"" + value + "\"}}", V1Patch.PatchType.MergePatch), name, ns);

    private static long Version(V1ConfigMap item) => long.Parse(item.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);

    internal enum WatchOutcome
    {
        EndedByServer,
        Expired,
    }

    /// <summary>A watch through the client's async enumerable; every wait bounded; disposal cancels it.</summary>
    private sealed class ClientWatch : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cancel = new();
        private readonly IAsyncEnumerator<(WatchEventType, V1ConfigMap)> _events;
        private Task<bool>? _pending;

        public ClientWatch(Kubernetes client, string ns, string? resourceVersion, bool bookmarks = false, int? timeoutSeconds = null)
        {
            _events = client.CoreV1.WatchListNamespacedConfigMapAsync(
                ns, allowWatchBookmarks: bookmarks, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds,
                onError: Errors.Enqueue, cancellationToken: _cancel.Token).GetAsyncEnumerator(_cancel.Token);
        }

        public ConcurrentQueue<Exception> Errors { get; } = new();

        public async Task<(WatchEventType Type, V1ConfigMap Object)> NextAsync(TimeSpan timeout)
            => await NextOrEndAsync(timeout) ?? throw new Xunit.Sdk.XunitException("The watch ended before the expected event.");

        /// <summary>The next event, or null when the server ended the stream.</summary>
        public async Task<(WatchEventType Type, V1ConfigMap Object)?> NextOrEndAsync(TimeSpan timeout)
        {
            _pending ??= _events.MoveNextAsync().AsTask();
            try
            {
                await _pending.WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                throw new Xunit.Sdk.XunitException($"No watch event within {timeout.TotalSeconds} s.");
            }

            bool more = await _pending;
            _pending = null;
            return more ? _events.Current : null;
        }

        public async ValueTask DisposeAsync()
        {
            await _cancel.CancelAsync();
            if (_pending is not null)
            {
                try
                {
                    await _pending.WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (Exception e) when (e is OperationCanceledException or TimeoutException or IOException or HttpRequestException)
                {
                }
            }

            try
            {
                await _events.DisposeAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or NotSupportedException or InvalidOperationException)
            {
            }

            _cancel.Dispose();
        }
    }

    /// <summary>The list/watch half of a client-go informer (the reflector) with its store.</summary>
    private sealed class Informer(Kubernetes client, string ns)
    {
        private readonly List<(WatchEventType, string)> _events = [];

        public Dictionary<string, V1ConfigMap> Cache { get; } = [];

        public string LastVersion { get; private set; } = "";

        public long LastBookmarkVersion { get; private set; }

        public int Bookmarks { get; private set; }

        public int ListPages { get; private set; }

        public List<Exception> Errors { get; } = [];

        /// <summary>A paged list replacing the cache; the first page at resourceVersion "0" as client-go asks.</summary>
        public async Task RelistAsync(int pageSize)
        {
            var items = new List<V1ConfigMap>();
            string? token = null;
            string? version = null;
            ListPages = 0;
            do
            {
                V1ConfigMapList page = await client.CoreV1.ListNamespacedConfigMapAsync(
                    ns, limit: pageSize, continueParameter: token, resourceVersion: token is null ? "0" : null);
                ListPages++;
                Assert.True(ListPages <= 100, "the continue chain does not end");
                version ??= page.Metadata.ResourceVersion;
                Assert.Equal(version, page.Metadata.ResourceVersion);
                items.AddRange(page.Items);
                token = page.Metadata.ContinueProperty;
            }
            while (!string.IsNullOrEmpty(token));

            Cache.Clear();
            foreach (V1ConfigMap item in items)
            {
                Cache[item.Metadata.Name] = item;
            }

            LastVersion = version!;
        }

        /// <summary>One watch from <see cref="LastVersion"/> until the server ends it; bounded per event.</summary>
        public async Task<WatchOutcome> WatchUntilEndAsync(int timeoutSeconds, TimeSpan eventTimeout, Func<int, Task>? onEvent = null)
        {
            int seen = 0;
            await using var watch = new ClientWatch(client, ns, LastVersion, bookmarks: true, timeoutSeconds: timeoutSeconds);
            TimeSpan bound = TimeSpan.FromSeconds(timeoutSeconds) + eventTimeout;
            while (await watch.NextOrEndAsync(bound) is (WatchEventType type, V1ConfigMap obj))
            {
                LastVersion = obj.Metadata.ResourceVersion;
                switch (type)
                {
                    case WatchEventType.Bookmark:
                        Bookmarks++;
                        LastBookmarkVersion = Version(obj);
                        continue;
                    case WatchEventType.Added or WatchEventType.Modified:
                        Cache[obj.Metadata.Name] = obj;
                        break;
                    case WatchEventType.Deleted:
                        Assert.True(Cache.Remove(obj.Metadata.Name), $"DELETED {obj.Metadata.Name}, which the cache does not hold");
                        break;
                    default:
                        throw new Xunit.Sdk.XunitException($"unexpected watch event {type}");
                }

                lock (_events)
                {
                    _events.Add((type, obj.Metadata.Name));
                }

                if (onEvent is not null)
                {
                    await onEvent(++seen);
                }
            }

            Errors.AddRange(watch.Errors);
            return watch.Errors.Any(e => e is KubernetesException { Status.Code: 410 }) ? WatchOutcome.Expired : WatchOutcome.EndedByServer;
        }

        public List<(WatchEventType, string)> TakeEvents()
        {
            lock (_events)
            {
                List<(WatchEventType, string)> taken = [.. _events];
                _events.Clear();
                return taken;
            }
        }
    }
}
