using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Proxy;
using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Clusters.Tests;

/// <summary>Direct Cluster objects (with their token Secret, encrypted at rest) reach the proxy's directory and leave it.</summary>
public sealed class DirectClustersTests : IAsyncLifetime
{
    private const string ClustersPrefix = "/registry/management.appliance.io/clusters/";
    private const string ClusterKey = ClustersPrefix + "c1";
    private const string SecretsPrefix = "/registry/core/secrets/appliance-system/";

    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-clusters-").FullName;
    private readonly ClusterDirectory _clusters = new();
    private readonly TestLogger<DirectClusters> _log = new();
    private KeyValueStore _store = null!;
    private SecretEncryption _encryption = null!;
    private ServiceProvider _services = null!;
    private DirectClusters _sync = null!;

    public async Task InitializeAsync()
    {
        _store = await KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = Path.Combine(_directory, "state.db") });
        _encryption = new SecretEncryption(ServerKeyFile.LoadOrCreate(_directory, SecretEncryption.FileName));
        _services = new ServiceCollection().AddSingleton(_store).AddSingleton(_encryption).BuildServiceProvider();
        _sync = new DirectClusters(_services, _clusters, new ProxyOptions(), _log);
        await _sync.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _sync.StopAsync(CancellationToken.None);
        _sync.Dispose();
        await _services.DisposeAsync();
        _encryption.Dispose();
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static string CaPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=downstream-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using X509Certificate2 ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return ca.ExportCertificatePem();
    }

    private async Task PutClusterAsync(string type = "direct", string name = "c1", string tokenSecret = "c1-token", string? heartbeat = null)
    {
        var cluster = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["type"] = type,
                ["direct"] = new JsonObject
                {
                    ["apiEndpoint"] = "https://10.0.0.5:6443",
                    ["caBundle"] = CaPem(),
                    ["tokenSecretRef"] = new JsonObject { ["namespace"] = "appliance-system", ["name"] = tokenSecret },
                },
            },
            ["status"] = new JsonObject { ["lastHeartbeatTime"] = heartbeat },
        };
        await PutAsync(ClustersPrefix + name, Encoding.UTF8.GetBytes(cluster.ToJsonString()));
    }

    private async Task PutTokenSecretAsync(string token, string name = "c1-token")
    {
        string key = SecretsPrefix + name;
        var secret = new JsonObject { ["data"] = new JsonObject { ["token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(token)) } };
        await PutAsync(key, _encryption.Encrypt(key, Encoding.UTF8.GetBytes(secret.ToJsonString())));
    }

    private async Task PutAsync(string key, byte[] value)
    {
        GetResult existing = _store.Get(key);
        WriteResult result = existing.Item is null ? await _store.CreateAsync(key, value) : await _store.UpdateAsync(key, value, existing.Item.ModRevision);
        Assert.True(result.IsOk);
    }

    private async Task<ClusterUpstream?> WaitForAsync(Func<ClusterUpstream?, bool> condition, string name = "c1")
    {
        ClusterUpstream? cluster = null;
        for (int attempt = 0; attempt < 200; attempt++)
        {
            _clusters.TryGetCluster(Encoding.UTF8.GetBytes(name), out cluster);
            if (condition(cluster))
            {
                return cluster;
            }

            await Task.Delay(25);
        }

        Assert.Fail("the directory did not reach the expected state");
        return null;
    }

    [Fact]
    public async Task DirectCluster_WithItsEncryptedTokenSecret_IsInTheDirectory_AndLeavesWhenDeleted()
    {
        await PutTokenSecretAsync("impersonator-token-1");
        await PutClusterAsync();
        ClusterUpstream? cluster = await WaitForAsync(static c => c is not null);
        Assert.Equal("c1", cluster!.ClusterId);

        GetResult stored = _store.Get(ClusterKey);
        Assert.True((await _store.DeleteAsync(ClusterKey, stored.Item!.ModRevision)).IsOk);
        await WaitForAsync(static c => c is null);
    }

    [Fact]
    public async Task RotatedToken_KeepsTheUpstreamAndItsPool_WithTheNewAuthorization_AndAnAgentClusterIsNotADirectOne()
    {
        await PutTokenSecretAsync("impersonator-token-1");
        await PutClusterAsync();
        ClusterUpstream? first = await WaitForAsync(static c => c is not null);
        Assert.Contains("impersonator-token-1", Encoding.ASCII.GetString(first!.Headers.AuthorizationLine), StringComparison.Ordinal);

        await PutTokenSecretAsync("impersonator-token-2");
        await WaitForAsync(c => c is not null && Encoding.ASCII.GetString(c.Headers.AuthorizationLine).Contains("impersonator-token-2", StringComparison.Ordinal));
        Assert.True(_clusters.TryGetCluster("c1"u8, out ClusterUpstream? rotated));
        Assert.Same(first, rotated);

        await PutClusterAsync(type: "agent");
        await WaitForAsync(static c => c is null);
    }

    [Fact]
    public async Task ClusterWhoseSecretIsMissing_IsNotProxied_UntilTheSecretAppears()
    {
        await PutClusterAsync();
        await Task.Delay(200);
        Assert.False(_clusters.TryGetCluster("c1"u8, out _));

        await PutTokenSecretAsync("late-token");
        await WaitForAsync(static c => c is not null);
    }

    [Fact]
    public async Task ClusterThatCannotBeProxied_IsReportedOnce_NotAgainAtEveryStatusWriteOfAnotherCluster()
    {
        await PutClusterAsync(name: "broken", tokenSecret: "missing-token");
        await PutTokenSecretAsync("token-1");
        await PutClusterAsync();
        await WaitForAsync(static c => c is not null);
        for (int round = 0; round < 5; round++)
        {
            // What the status controller does to every cluster at each health probe.
            await PutClusterAsync(heartbeat: $"2026-11-25T00:00:0{round}Z");
        }

        // Events are handled in order: once this cluster is in, every write before it was seen.
        await PutTokenSecretAsync("token-2", "c2-token");
        await PutClusterAsync(name: "c2", tokenSecret: "c2-token");
        await WaitForAsync(static c => c is not null, "c2");
        Assert.Equal(1, _log.Count("Cluster broken cannot be proxied: the token Secret appliance-system/missing-token does not exist"));

        await PutTokenSecretAsync("token-3", "missing-token");
        await WaitForAsync(static c => c is not null, "broken");
    }

    [Fact]
    public async Task TokenSecretSharedByTwoClusters_RotatesInBoth()
    {
        await PutTokenSecretAsync("shared-1", "shared-token");
        await PutClusterAsync(name: "a", tokenSecret: "shared-token");
        await PutClusterAsync(name: "b", tokenSecret: "shared-token");
        await WaitForAsync(static c => c is not null, "a");
        await WaitForAsync(static c => c is not null, "b");

        await PutTokenSecretAsync("shared-2", "shared-token");
        foreach (string name in new[] { "a", "b" })
        {
            await WaitForAsync(static c => c is not null && Encoding.ASCII.GetString(c.Headers.AuthorizationLine).Contains("shared-2", StringComparison.Ordinal), name);
        }
    }
}
