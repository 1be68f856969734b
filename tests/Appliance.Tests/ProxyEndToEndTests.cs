using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;

namespace Appliance.Tests;

/// <summary>
/// Two real appliance processes: A manages, B stands in for a downstream cluster (its API enforces RBAC on
/// the impersonated identity). The real kubectl reaches B through A's proxy at /k8s/clusters/c1.
/// </summary>
public sealed class ProxyEndToEndTests : IAsyncLifetime
{
    private const string Bob = "u-bobby";

    private readonly TemporaryDirectory _managementDir = new();
    private readonly TemporaryDirectory _downstreamDir = new();
    private ApplianceProcess _management = null!;
    private ApplianceProcess _downstream = null!;
    private HttpClient _a = null!;
    private HttpClient _b = null!;
    private string _bobKubeconfig = "";
    private string _bobToken = "";

    public async Task InitializeAsync()
    {
        try
        {
            await SetUpAsync();
        }
        catch
        {
            // xUnit does not dispose a test whose set-up failed: stop the servers here, or they outlive the run.
            await DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync()
    {
        Task<ApplianceProcess> management = ApplianceProcess.StartServerAsync(_managementDir.Path);
        Task<ApplianceProcess> downstream = ApplianceProcess.StartServerAsync(_downstreamDir.Path);
        (_management, _downstream) = await ApplianceProcess.BothStartedAsync(management, downstream);

        _a = ManagementApi.AdminClient(_management, _managementDir.Path);
        _b = ManagementApi.AdminClient(_downstream, _downstreamDir.Path);

        // Downstream: an impersonator service account, as the cluster registration manifest creates it
        // (appliance-system exists on every appliance).
        await ManagementApi.PostAsync(_b, "/api/v1/namespaces/appliance-system/serviceaccounts", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "impersonator" } });
        await ManagementApi.PostAsync(_b, "/apis/rbac.authorization.k8s.io/v1/clusterroles", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "appliance-impersonator" },
            ["rules"] = new JsonArray(
                new JsonObject { ["verbs"] = new JsonArray("impersonate"), ["apiGroups"] = new JsonArray(""), ["resources"] = new JsonArray("users", "groups") },
                new JsonObject { ["verbs"] = new JsonArray("impersonate"), ["apiGroups"] = new JsonArray("authentication.k8s.io"), ["resources"] = new JsonArray("userextras/principalid", "userextras/username", "userextras/requesttokenid") }),
        });
        await ManagementApi.PostAsync(_b, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "appliance-impersonator" },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "appliance-impersonator" },
            ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = "impersonator", ["namespace"] = "appliance-system" }),
        });
        JsonObject tokenRequest = await ManagementApi.PostAsync(_b, "/api/v1/namespaces/appliance-system/serviceaccounts/impersonator/token", new JsonObject { ["spec"] = new JsonObject { ["expirationSeconds"] = 3600 } });
        string impersonatorToken = (string)tokenRequest["status"]!["token"]!;

        // Downstream: bob may view namespace "team" only.
        await ManagementApi.PostAsync(_b, "/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "team" } });
        await ManagementApi.PostAsync(_b, "/api/v1/namespaces/team/configmaps", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "hello" } });
        await ManagementApi.PostAsync(_b, "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "bob-views" },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "view" },
            ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "User", ["name"] = Bob }),
        });

        // Management: the cluster, its token Secret, bob and his role in the cluster.
        await ManagementApi.PostAsync(_a, "/api/v1/namespaces/appliance-system/secrets", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "c1-impersonator" },
            ["stringData"] = new JsonObject { ["token"] = impersonatorToken },
        });
        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/clusters", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "c1" },
            ["spec"] = new JsonObject
            {
                ["type"] = "direct",
                ["direct"] = new JsonObject
                {
                    ["apiEndpoint"] = $"https://127.0.0.1:{_downstream.BaseAddress.Port}",
                    ["caBundle"] = await File.ReadAllTextAsync(Path.Combine(_downstreamDir.Path, "tls", "ca.crt")),
                    ["tokenSecretRef"] = new JsonObject { ["namespace"] = "appliance-system", ["name"] = "c1-impersonator" },
                },
            },
        });
        _bobToken = await ManagementApi.CreateUserWithTokenAsync(_a, _managementDir.Path, Bob, "Bobby Tables");
        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/clusterroletemplatebindings", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "bob-in-c1" },
            ["clusterName"] = "c1",
            ["roleTemplateName"] = "cluster-member",
            ["userName"] = Bob,
        });
        _bobKubeconfig = await WriteKubeconfigAsync("bob", _bobToken);
    }

    public async Task DisposeAsync()
    {
        _a?.Dispose();
        _b?.Dispose();
        _a = _b = null!;
        if (_management is not null)
        {
            await _management.DisposeAsync();
            _management = null!;
        }

        if (_downstream is not null)
        {
            await _downstream.DisposeAsync();
            _downstream = null!;
        }

        _managementDir.Dispose();
        _downstreamDir.Dispose();
    }

    [Fact]
    public async Task Kubectl_ThroughTheProxy_IsTheImpersonatedUserWithTheDownstreamsRbac()
    {
        // The cluster reaches the proxy's directory from a store watch: poll until it answers.
        (int ExitCode, string Output, string Errors) list = default;
        for (int attempt = 0; attempt < 100; attempt++)
        {
            list = await KubectlAsync(_bobKubeconfig, "-n team get configmaps -o name");
            if (list.ExitCode == 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(list.ExitCode == 0, list.Errors);
        Assert.Contains("configmap/hello", list.Output, StringComparison.Ordinal);

        var elsewhere = await KubectlAsync(_bobKubeconfig, "-n default get configmaps");
        Assert.NotEqual(0, elsewhere.ExitCode);
        Assert.Contains($"User \"{Bob}\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"", elsewhere.Errors, StringComparison.Ordinal);

        var whoami = await KubectlAsync(_bobKubeconfig, "auth whoami -o json");
        Assert.True(whoami.ExitCode == 0, whoami.Errors);
        JsonNode userInfo = JsonNode.Parse(whoami.Output)!["status"]!["userInfo"]!;
        Assert.Equal(Bob, (string?)userInfo["username"]);
        Assert.Equal("Bobby Tables", (string?)userInfo["extra"]!["username"]![0]);
        Assert.Equal($"local://{Bob}", (string?)userInfo["extra"]!["principalid"]![0]);

        // The audit line names bob and the cluster, never his token.
        string audit = await File.ReadAllTextAsync(Path.Combine(_managementDir.Path, "audit", "proxy.log"));
        Assert.Contains($"\"{Bob}\"", audit, StringComparison.Ordinal);
        Assert.Contains("\"c1\"", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(_bobToken[(_bobToken.IndexOf(':', StringComparison.Ordinal) + 1)..], audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubectlGetWatch_ThroughTheProxy_StreamsEventsAsTheyHappen()
    {
        Assert.Equal(0, (await WaitForClusterAsync()).ExitCode);
        using Process watch = Process.Start(Kubectl.StartInfo(_bobKubeconfig, _managementDir.Path, "-n team get configmaps -w -o name"))!;
        try
        {
            Assert.Equal("configmap/hello", await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
            await ManagementApi.PostAsync(_b, "/api/v1/namespaces/team/configmaps", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "while-watching" } });
            Assert.Equal("configmap/while-watching", await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            watch.Kill(entireProcessTree: true);
            await watch.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task UserWithoutARoleInTheCluster_IsRefusedByTheProxy_AndABadTokenIs401()
    {
        Assert.Equal(0, (await WaitForClusterAsync()).ExitCode);
        string carolKubeconfig = await WriteKubeconfigAsync("carol", await ManagementApi.CreateUserWithTokenAsync(_a, _managementDir.Path, "u-carol", "Carol"));
        var carol = await KubectlAsync(carolKubeconfig, "-n team get configmaps");
        Assert.NotEqual(0, carol.ExitCode);
        Assert.Contains("Forbidden", carol.Errors, StringComparison.Ordinal);

        using HttpClient anonymous = _management.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/k8s/clusters/c1/api");
        request.Headers.Authorization = new("Bearer", "token-zzzzz:" + new string('a', ApiToken.SecretLength));
        using HttpResponseMessage response = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task DirectCluster_StatusSaysConnectedAndReady_WithTheDownstreamsVersion()
    {
        string gitVersion = (string)JsonNode.Parse(await _b.GetStringAsync("/version"))!["gitVersion"]!;
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            JsonNode? status = JsonNode.Parse(await _a.GetStringAsync("/apis/management.appliance.io/v1/clusters/c1"))!["status"];
            JsonArray conditions = status?["conditions"] as JsonArray ?? [];
            bool connected = conditions.Any(c => (string?)c?["type"] == "Connected" && (string?)c["status"] == "True" && (string?)c["reason"] == "Direct");
            bool ready = conditions.Any(c => (string?)c?["type"] == "Ready" && (string?)c["status"] == "True");
            if (connected && ready && (string?)status?["kubernetesVersion"] == gitVersion)
            {
                // The impersonator token may not list nodes: no node count rather than a wrong one.
                Assert.Null(status!["nodeCount"]);
                return;
            }

            Assert.True(Environment.TickCount64 < deadline, $"status: {status?.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    private Task<(int ExitCode, string Output, string Errors)> WaitForClusterAsync()
        => PollAsync(() => KubectlAsync(_bobKubeconfig, "-n team get configmaps"));

    private static async Task<(int ExitCode, string Output, string Errors)> PollAsync(Func<Task<(int ExitCode, string Output, string Errors)>> attempt)
    {
        (int ExitCode, string Output, string Errors) result = default;
        for (int i = 0; i < 100; i++)
        {
            result = await attempt();
            if (result.ExitCode == 0)
            {
                return result;
            }

            await Task.Delay(100);
        }

        return result;
    }

    private async Task<string> WriteKubeconfigAsync(string name, string token)
    {
        string path = Path.Combine(_managementDir.Path, name + ".kubeconfig");
        string caData = Convert.ToBase64String(Encoding.ASCII.GetBytes(await File.ReadAllTextAsync(Path.Combine(_managementDir.Path, "tls", "ca.crt"))));
        await File.WriteAllTextAsync(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c1
              cluster:
                server: https://127.0.0.1:{_management.BaseAddress.Port}/k8s/clusters/c1
                certificate-authority-data: {caData}
            users:
            - name: {name}
              user:
                token: {token}
            contexts:
            - name: c1
              context:
                cluster: c1
                user: {name}
            current-context: c1
            """);
        return path;
    }

    private Task<(int ExitCode, string Output, string Errors)> KubectlAsync(string kubeconfig, string arguments)
        => Kubectl.RunAsync(kubeconfig, _managementDir.Path, arguments);
}
