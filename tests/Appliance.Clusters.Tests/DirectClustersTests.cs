using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Proxy;
using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Clusters.Tests;

/// <summary>Direct Cluster objects (with their token Secret, encrypted at rest) reach the proxy's directory and leave it.</summary>
public sealed class DirectClustersTests : IAsyncLifetime
{
    private const string ClusterKey = "/registry/management.appliance.io/clusters/c1";
    private const string SecretKey = "/registry/core/secrets/appliance-system/c1-token";

    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-clusters-").FullName;
    private readonly ClusterDirectory _clusters = new();
    private KeyValueStore _store = null!;
    private SecretEncryption _encryption = null!;
    private ServiceProvider _services = null!;
    private DirectClusters _sync = null!;

    public async Task InitializeAsync()
    {
        _store = await KeyValueStore.OpenAsync(new StoreOptions { DatabasePath = Path.Combine(_directory, "state.db") });
        _encryption = new SecretEncryption(ServerKeyFile.LoadOrCreate(_directory, SecretEncryption.FileName));
        _services = new ServiceCollection().AddSingleton(_store).AddSingleton(_encryption).BuildServiceProvider();
        _sync = new DirectClusters(_services, _clusters, new ProxyOptions(), NullLogger<DirectClusters>.Instance);
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

    private async Task PutClusterAsync(string type = "direct")
    {
        var cluster = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "c1" },
            ["spec"] = new JsonObject
            {
                ["type"] = type,
                ["direct"] = new JsonObject
                {
                    ["apiEndpoint"] = "https://10.0.0.5:6443",
                    ["caBundle"] = CaPem(),
                    ["tokenSecretRef"] = new JsonObject { ["namespace"] = "appliance-system", ["name"] = "c1-token" },
                },
            },
        };
        await PutAsync(ClusterKey, Encoding.UTF8.GetBytes(cluster.ToJsonString()));
    }

    private async Task PutTokenSecretAsync(string token)
    {
        var secret = new JsonObject { ["data"] = new JsonObject { ["token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(token)) } };
        await PutAsync(SecretKey, _encryption.Encrypt(SecretKey, Encoding.UTF8.GetBytes(secret.ToJsonString())));
    }

    private async Task PutAsync(string key, byte[] value)
    {
        GetResult existing = _store.Get(key);
        WriteResult result = existing.Item is null ? await _store.CreateAsync(key, value) : await _store.UpdateAsync(key, value, existing.Item.ModRevision);
        Assert.True(result.IsOk);
    }

    private async Task<ClusterUpstream?> WaitForAsync(Func<ClusterUpstream?, bool> condition)
    {
        ClusterUpstream? cluster = null;
        for (int attempt = 0; attempt < 200; attempt++)
        {
            _clusters.TryGetCluster("c1"u8, out cluster);
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
}
