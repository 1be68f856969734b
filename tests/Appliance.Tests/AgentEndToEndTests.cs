using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Tests;

/// <summary>
/// Three real processes: a management appliance A, a second appliance B standing in for a downstream cluster,
/// and `appliance agent` connecting B to A through its tunnel, set up the way a user does it: the cluster
/// is created on A, its registration manifest is applied to B with kubectl, and the agent runs with the
/// token and CA checksum the manifest holds.
/// </summary>
public sealed class AgentEndToEndTests : IAsyncLifetime
{
    private const string Bob = "u-bobby";
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(30);

    private readonly TemporaryDirectory _managementDir = new();
    private readonly TemporaryDirectory _downstreamDir = new();
    private ApplianceProcess _management = null!;
    private ApplianceProcess _downstream = null!;
    private ApplianceProcess? _agent;
    private int _managementPort;
    private HttpClient _a = null!;
    private HttpClient _b = null!;
    private string _registrationToken = "";
    private string _manifest = "";
    private string _bobKubeconfig = "";

    public async Task InitializeAsync()
    {
        try
        {
            await SetUpAsync();
        }
        catch
        {
            // xUnit does not dispose a test whose set-up failed: stop the processes here, or they outlive the run.
            await DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync()
    {
        // A fixed port: the restart test brings the server back where the agent looks for it.
        _managementPort = ApplianceProcess.FreePort();
        Task<ApplianceProcess> management = ApplianceProcess.StartServerAsync(_managementDir.Path, port: _managementPort);
        Task<ApplianceProcess> downstream = ApplianceProcess.StartServerAsync(_downstreamDir.Path);
        (_management, _downstream) = await ApplianceProcess.BothStartedAsync(management, downstream);

        _a = ManagementApi.AdminClient(_management, _managementDir.Path);
        _b = ManagementApi.AdminClient(_downstream, _downstreamDir.Path);

        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/clusters", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "c1" },
            ["spec"] = new JsonObject { ["type"] = "agent", ["displayName"] = "the downstream" },
        });
        _registrationToken = await WaitForRegistrationTokenAsync("c1");

        using (HttpClient anonymous = _management.CreateClient())
        {
            _manifest = await anonymous.GetStringAsync($"/v3/import/{_registrationToken}.yaml");
        }

        string manifestPath = Path.Combine(_managementDir.Path, "import.yaml");
        await File.WriteAllTextAsync(manifestPath, _manifest);
        var apply = await Kubectl.RunAsync(Path.Combine(_downstreamDir.Path, "admin.kubeconfig"), _downstreamDir.Path, $"apply -f {manifestPath}");
        Assert.True(apply.ExitCode == 0, apply.Errors);

        // Downstream: a namespace with something in it. Bob's rights there come only from the bindings on A.
        await ManagementApi.PostAsync(_b, "/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "team" } });
        await ManagementApi.PostAsync(_b, "/api/v1/namespaces/team/configmaps", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "hello" } });

        // Management: role templates, a project holding "team", and bob bound in the cluster and in the project.
        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/roletemplates", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "namespace-reader" },
            ["context"] = "cluster",
            ["rules"] = new JsonArray(new JsonObject { ["apiGroups"] = new JsonArray(""), ["resources"] = new JsonArray("namespaces"), ["verbs"] = new JsonArray("get", "list") }),
        });
        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/roletemplates", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "configmap-viewer" },
            ["context"] = "project",
            ["rules"] = new JsonArray(new JsonObject { ["apiGroups"] = new JsonArray(""), ["resources"] = new JsonArray("configmaps"), ["verbs"] = new JsonArray("get", "list", "watch") }),
        });
        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/projects", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "p1" },
            ["spec"] = new JsonObject { ["clusterName"] = "c1", ["namespaces"] = new JsonArray("team") },
        });
        string bobToken = await ManagementApi.CreateUserWithTokenAsync(_a, _managementDir.Path, Bob, "Bobby Tables");
        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/clusterroletemplatebindings", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "bob-in-c1" },
            ["clusterName"] = "c1",
            ["roleTemplateName"] = "namespace-reader",
            ["userName"] = Bob,
        });
        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/projectroletemplatebindings", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "bob-in-p1" },
            ["projectName"] = "p1",
            ["roleTemplateName"] = "configmap-viewer",
            ["userName"] = Bob,
        });
        // Bob gets his kubeconfig the way a user does: from the server, with his own token.
        _bobKubeconfig = Path.Combine(_managementDir.Path, "bob.kubeconfig");
        var generated = await ApplianceProcess.RunAsync("kubeconfig", "--server", _management.BaseAddress.ToString(), "--token", bobToken,
            "--certificate-authority", Path.Combine(_managementDir.Path, "tls", "ca.crt"), "--cluster", "c1", "--output", _bobKubeconfig);
        Assert.True(generated.ExitCode == 0, generated.Errors);
        _agent = StartAgent(_registrationToken);
    }

    public async Task DisposeAsync()
    {
        _a?.Dispose();
        _b?.Dispose();
        _a = _b = null!;
        foreach (ApplianceProcess? process in new[] { _agent, _management, _downstream })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        _agent = null;
        _management = _downstream = null!;
        _managementDir.Dispose();
        _downstreamDir.Dispose();
    }

    [Fact]
    public async Task ConnectedAgent_MakesTheClusterConnectedAndReady_AndKubectlWorksThroughTheTunnel()
    {
        JsonObject status = await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        using (HttpResponseMessage version = await _b.GetAsync("/version"))
        {
            string gitVersion = (string)JsonNode.Parse(await version.Content.ReadAsStringAsync())!["gitVersion"]!;
            Assert.Equal(gitVersion, (string?)status["kubernetesVersion"]);
        }

        Assert.Equal(0, (int)status["nodeCount"]!);
        await PollAsync(async () =>
        {
            JsonNode cluster = JsonNode.Parse(await _a.GetStringAsync("/apis/management.appliance.io/v1/clusters/c1"))!;
            return Condition((JsonArray)cluster["status"]!["conditions"]!, "Synced") == "True";
        });
        Assert.False(string.IsNullOrEmpty((string?)status["agentVersion"]));

        // The project binding became a RoleBinding in "team", the cluster binding a ClusterRoleBinding.
        var list = await PollKubectlAsync(_bobKubeconfig, "-n team get configmaps -o name");
        Assert.True(list.ExitCode == 0, list.Errors);
        Assert.Contains("configmap/hello", list.Output, StringComparison.Ordinal);
        var namespaces = await PollKubectlAsync(_bobKubeconfig, "get namespaces -o name");
        Assert.True(namespaces.ExitCode == 0, namespaces.Errors);
        Assert.Contains("namespace/team", namespaces.Output, StringComparison.Ordinal);

        var elsewhere = await KubectlAsync(_bobKubeconfig, "-n default get configmaps");
        Assert.NotEqual(0, elsewhere.ExitCode);
        Assert.Contains($"User \"{Bob}\" cannot list resource \"configmaps\"", elsewhere.Errors, StringComparison.Ordinal);
        var write = await KubectlAsync(_bobKubeconfig, "-n team create configmap mine");
        Assert.NotEqual(0, write.ExitCode);
    }

    [Fact]
    public async Task Metrics_ExportEachTunnelsRoundTripAndStreams_ToAuthenticatedCallersOnly()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        using (HttpClient anonymous = _management.CreateClient())
        using (HttpResponseMessage refused = await anonymous.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // The first ping goes out after the tunnel's ping interval (10 s).
        string metrics = "";
        await PollAsync(async () =>
        {
            metrics = await _a.GetStringAsync("/metrics");
            return metrics.Contains("appliance_tunnel_round_trip_time_seconds{cluster=\"c1\"}", StringComparison.Ordinal);
        });
        Assert.Contains("# TYPE appliance_tunnel_round_trip_time_seconds gauge", metrics, StringComparison.Ordinal);
        Assert.Contains("appliance_tunnel_streams{cluster=\"c1\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE appliance_store_writes counter", metrics, StringComparison.Ordinal);
        Assert.Matches(@"\nappliance_store_writes_total\{[^}]*\} [1-9][0-9]*\n", metrics);
    }

    [Fact]
    public async Task RemovedBindings_RemoveTheRightsDownstream()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        Assert.Equal(0, (await PollKubectlAsync(_bobKubeconfig, "get namespaces")).ExitCode);
        Assert.Equal(0, (await PollKubectlAsync(_bobKubeconfig, "-n team get configmaps")).ExitCode);

        using (HttpResponseMessage deleted = await _a.DeleteAsync("/apis/management.appliance.io/v1/clusterroletemplatebindings/bob-in-c1"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        var gone = await PollKubectlAsync(_bobKubeconfig, "get namespaces", expectSuccess: false);
        Assert.Contains($"User \"{Bob}\" cannot list resource \"namespaces\"", gone.Errors, StringComparison.Ordinal);
        // The role went first (the binding pointed at nothing); the binding follows in the same pass.
        await PollAsync(async () => (await _b.GetAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/appliance-crtb-bob-in-c1")).StatusCode == HttpStatusCode.NotFound);

        // The project binding still grants the namespace: the proxy lets bob in, the downstream decides.
        Assert.Equal(0, (await KubectlAsync(_bobKubeconfig, "-n team get configmaps")).ExitCode);
        using (HttpResponseMessage deleted = await _a.DeleteAsync("/apis/management.appliance.io/v1/projectroletemplatebindings/bob-in-p1"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        await PollAsync(async () => (await _b.GetAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/appliance-prtb-bob-in-p1")).StatusCode == HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task KilledAgent_TurnsTheClusterDisconnectedWithin10Seconds_KubectlGets503_AndARestartedAgentRestoresIt()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        Assert.Equal(0, (await PollKubectlAsync(_bobKubeconfig, "-n team get configmaps")).ExitCode);

        await _agent!.TerminateAsync(ApplianceProcess.SigKill);
        long killed = Environment.TickCount64;
        await WaitForConditionsAsync("c1", connected: "False", ready: "False", TimeSpan.FromSeconds(10));
        Assert.True(Environment.TickCount64 - killed < 10_000);

        var offline = await KubectlAsync(_bobKubeconfig, "-n team get configmaps --request-timeout=20s");
        Assert.NotEqual(0, offline.ExitCode);
        Assert.True(offline.Errors.Contains("the cluster is not connected", StringComparison.Ordinal), offline.Errors);

        await _agent.DisposeAsync();
        _agent = StartAgent(_registrationToken);
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        var back = await PollKubectlAsync(_bobKubeconfig, "-n team get configmaps -o name");
        Assert.True(back.ExitCode == 0, back.Errors);
    }

    [Fact]
    public async Task BindingDeletedWhileTheClusterIsOffline_StaysTerminatingUntilItsRightsAreGoneDownstream()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        const string pushed = "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/appliance-prtb-bob-in-p1";
        await PollAsync(async () => (await _b.GetAsync(pushed)).StatusCode == HttpStatusCode.OK);
        await _agent!.TerminateAsync(ApplianceProcess.SigKill);
        await WaitForConditionsAsync("c1", connected: "False", ready: "False", TimeSpan.FromSeconds(10));

        using (HttpResponseMessage deleted = await _a.DeleteAsync("/apis/management.appliance.io/v1/projectroletemplatebindings/bob-in-p1"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        JsonNode terminating = JsonNode.Parse(await _a.GetStringAsync("/apis/management.appliance.io/v1/projectroletemplatebindings/bob-in-p1"))!;
        Assert.NotNull(terminating["metadata"]!["deletionTimestamp"]);
        Assert.Contains("management.appliance.io/rbac-push-down", terminating["metadata"]!["finalizers"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _b.GetAsync(pushed)).StatusCode);

        await _agent.DisposeAsync();
        _agent = StartAgent(_registrationToken);
        await PollAsync(async () => (await _b.GetAsync(pushed)).StatusCode == HttpStatusCode.NotFound);
        await PollAsync(async () => (await _a.GetAsync("/apis/management.appliance.io/v1/projectroletemplatebindings/bob-in-p1")).StatusCode == HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DriftDownstream_IsRepairedAtTheNextReconcile()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        const string binding = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/appliance-crtb-bob-in-c1";
        await PollAsync(async () => (await _b.GetAsync(binding)).StatusCode == HttpStatusCode.OK);
        using (HttpResponseMessage deleted = await _b.DeleteAsync(binding))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        // Any change here reconciles the cluster (as the resync does every 5 minutes): the binding is back.
        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/roletemplates", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "unrelated" },
            ["context"] = "cluster",
            ["rules"] = new JsonArray(),
        });
        await PollAsync(async () => (await _b.GetAsync(binding)).StatusCode == HttpStatusCode.OK);
        Assert.Equal(0, (await PollKubectlAsync(_bobKubeconfig, "get namespaces")).ExitCode);
    }

    private string? _firstWatchError;

    [Fact]
    public async Task HundredWatchesAndA50MBResponse_ThroughOneTunnel_NoWatchStarves()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        // Downstream: 50 ConfigMaps of 1 MB, listed in one 50 MB response.
        await ManagementApi.PostAsync(_b, "/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "bulk" } });
        string megabyte = new('x', 1_000_000);
        for (int i = 0; i < 50; i++)
        {
            await ManagementApi.PostAsync(_b, "/api/v1/namespaces/bulk/configmaps", new JsonObject { ["metadata"] = new JsonObject { ["name"] = $"big-{i}" }, ["data"] = new JsonObject { ["payload"] = megabyte } });
        }

        // The admin (cluster-admin downstream once pushed) reaches c1 through A's proxy and the tunnel.
        using HttpClient proxy = ManagementApi.AdminClient(_management, _managementDir.Path);
        proxy.Timeout = Timeout.InfiniteTimeSpan;
        await PollAsync(async () => (await proxy.GetAsync("/k8s/clusters/c1/api/v1/namespaces/team/configmaps")).StatusCode == HttpStatusCode.OK);
        string resourceVersion = (string)JsonNode.Parse(await proxy.GetStringAsync("/k8s/clusters/c1/api/v1/namespaces/team/configmaps"))!["metadata"]!["resourceVersion"]!;

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new long[100];
        var watches = new List<Task>();
        using var connected = new CountdownEvent(100);
        for (int i = 0; i < 100; i++)
        {
            int watcher = i;
            watches.Add(Task.Run(async () =>
            {
                using HttpResponseMessage response = await proxy.GetAsync($"/k8s/clusters/c1/api/v1/namespaces/team/configmaps?watch=1&resourceVersion={resourceVersion}", HttpCompletionOption.ResponseHeadersRead, stop.Token);
                if (!response.IsSuccessStatusCode)
                {
                    System.Threading.Interlocked.CompareExchange(ref _firstWatchError, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}", null);
                }

                response.EnsureSuccessStatusCode();
                connected.Signal();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                {
                    if (line.Contains("\"during-bulk\"", StringComparison.Ordinal))
                    {
                        Volatile.Write(ref seen[watcher], Environment.TickCount64);
                        return;
                    }
                }
            }));
        }

        long startDeadline = Environment.TickCount64 + 30_000;
        while (connected.CurrentCount > 0 && Environment.TickCount64 < startDeadline)
        {
            await Task.Delay(50);
        }

        Assert.True(connected.CurrentCount == 0, $"{connected.CurrentCount} watches did not start; first error: {_firstWatchError}; faulted: {watches.Count(w => w.IsFaulted)} {watches.FirstOrDefault(w => w.IsFaulted)?.Exception?.InnerException?.Message}");

        // The bulk response streams; once it is flowing, one event must reach every watch within 1 s.
        using HttpResponseMessage bulk = await proxy.GetAsync("/k8s/clusters/c1/api/v1/namespaces/bulk/configmaps", HttpCompletionOption.ResponseHeadersRead, stop.Token);
        await using Stream body = await bulk.Content.ReadAsStreamAsync(stop.Token);
        var buffer = new byte[64 * 1024];
        long received = 0;
        long created = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, stop.Token)) > 0)
        {
            received += read;
            if (created == 0 && received > 5_000_000)
            {
                created = Environment.TickCount64;
                await ManagementApi.PostAsync(_b, "/api/v1/namespaces/team/configmaps", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "during-bulk" } });
            }
        }

        await Task.WhenAll(watches).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(received > 50_000_000, $"the bulk response had {received} bytes");
        long slowest = 0;
        foreach (long at in seen)
        {
            slowest = Math.Max(slowest, at - created);
        }

        Assert.True(slowest < 1000, $"the slowest watch saw the event after {slowest} ms");
    }

    [Fact]
    public async Task AgentInTheCluster_UsesThePodsServiceAccount()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        await _agent!.DisposeAsync();
        _agent = null;
        await WaitForConditionsAsync("c1", connected: "False", ready: "False", TimeSpan.FromSeconds(10));

        // What the kubelet gives the agent's pod: its service account's token, the cluster CA and namespace at
        // /var/run/secrets/kubernetes.io/serviceaccount, and KUBERNETES_SERVICE_HOST/PORT. Here in a private
        // mount namespace (a tmpfs over /run), so the host's files stay untouched.
        JsonObject issued = await ManagementApi.PostAsync(_b, "/api/v1/namespaces/appliance-system/serviceaccounts/appliance-agent/token",
            new JsonObject { ["spec"] = new JsonObject { ["expirationSeconds"] = 3600 } });
        string pod = Path.Combine(_managementDir.Path, "pod");
        Directory.CreateDirectory(pod);
        await File.WriteAllTextAsync(Path.Combine(pod, "token"), (string)issued["status"]!["token"]!);
        File.Copy(Path.Combine(_downstreamDir.Path, "tls", "ca.crt"), Path.Combine(pod, "ca.crt"));
        await File.WriteAllTextAsync(Path.Combine(pod, "namespace"), "appliance-system");
        string checksum = System.Text.RegularExpressions.Regex.Match(_manifest, "\"--ca-checksum\", \"([0-9a-f]{64})\"").Groups[1].Value;
        _agent = ApplianceProcess.StartVerbInMountNamespace(
            $"mount -t tmpfs tmpfs /run\nmkdir -p /run/secrets/kubernetes.io/serviceaccount\ncp '{pod}'/* /run/secrets/kubernetes.io/serviceaccount/",
            new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1", ["KUBERNETES_SERVICE_PORT"] = _downstream.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            "agent", "--server", _management.BaseAddress.ToString(), "--token", _registrationToken, "--ca-checksum", checksum);

        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        var list = await PollKubectlAsync(_bobKubeconfig, "-n team get configmaps -o name");
        Assert.True(list.ExitCode == 0, list.Errors);
    }

    [Fact]
    public async Task ASecondConnectionWithTheClustersToken_ReplacesTheFirst()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        int connectsBefore = CountLines(_agent!.Output, "Connected to");

        // One active tunnel per cluster: a new connection (an agent that reconnected before the server saw
        // its old connection die) replaces the old one, which ends.
        using (ClientWebSocket second = await ConnectRawTunnelAsync(_registrationToken))
        {
            await _agent.WaitForOutputAsync("Tunnel down", TimeSpan.FromSeconds(10));
        }

        // The real agent comes back by itself and the cluster works again.
        await PollAsync(() => Task.FromResult(CountLines(_agent.Output, "Connected to") > connectsBefore));
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        Assert.Equal(0, (await PollKubectlAsync(_bobKubeconfig, "-n team get configmaps")).ExitCode);
    }

    private static int CountLines(string output, string text) => output.Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task RestartedServer_TheAgentReconnectsByItself()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        Assert.Equal(0, await _management.TerminateAsync());
        await _management.DisposeAsync();
        _a.Dispose();
        _management = await ApplianceProcess.StartServerAsync(_managementDir.Path, port: _managementPort);
        _a = ManagementApi.AdminClient(_management, _managementDir.Path);

        // The status written before the restart still says Connected: wait for a heartbeat written after it.
        string restartedAt = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        await PollAsync(async () =>
        {
            JsonNode cluster = JsonNode.Parse(await _a.GetStringAsync("/apis/management.appliance.io/v1/clusters/c1"))!;
            return string.CompareOrdinal((string?)cluster["status"]?["lastHeartbeatTime"], restartedAt) >= 0;
        });
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        var list = await PollKubectlAsync(_bobKubeconfig, "-n team get configmaps -o name");
        Assert.True(list.ExitCode == 0, list.Errors);
        Assert.Contains("Connected to", _agent!.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedOrUnknownStreamFrames_FromOneClustersTunnel_AreRefused_AndOtherClustersKeepWorking()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        await ManagementApi.PostAsync(_a, "/apis/management.appliance.io/v1/clusters", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "c2" },
            ["spec"] = new JsonObject { ["type"] = "agent" },
        });
        string c2Token = await WaitForRegistrationTokenAsync("c2");

        // A data frame for a stream nobody opened: answered with a Reset frame of that stream id.
        using (ClientWebSocket rogue = await ConnectRawTunnelAsync(c2Token))
        {
            byte[] unknownStream = [3, 0, 0, 0x30, 0x39, (byte)'x'];
            await rogue.SendAsync(unknownStream, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            byte[] reply = await ReceiveFrameOfTypeAsync(rogue, type: 5);
            Assert.Equal(0x3039u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(1)));
        }

        // A message over the frame limit: the server closes that tunnel with 1009 (message too big).
        using (ClientWebSocket rogue = await ConnectRawTunnelAsync(c2Token))
        {
            await rogue.SendAsync(new byte[70_000], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            var buffer = new byte[1024];
            WebSocketReceiveResult result;
            do
            {
                result = await rogue.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            }
            while (result.MessageType != WebSocketMessageType.Close);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, result.CloseStatus);
        }

        await _management.WaitForOutputAsync("over the 65536 limit", TimeSpan.FromSeconds(10));
        var list = await KubectlAsync(_bobKubeconfig, "-n team get configmaps -o name");
        Assert.True(list.ExitCode == 0, list.Errors);
    }

    [Fact]
    public async Task RevokedRegistrationToken_DisconnectsTheAgent_RefusesItClearly_AndIssuesANewToken()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        using (HttpResponseMessage deleted = await _a.DeleteAsync("/api/v1/namespaces/appliance-system/secrets/registration-c1"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        await WaitForConditionsAsync("c1", connected: "False", ready: "False", TimeSpan.FromSeconds(10));
        await _agent!.WaitForOutputAsync("the server refused the registration token", TimeSpan.FromSeconds(20));
        Assert.Contains("refused: the registration token is wrong or was revoked", _management.Output, StringComparison.Ordinal);

        string renewed = await WaitForRegistrationTokenAsync("c1");
        Assert.NotEqual(_registrationToken, renewed);
        using HttpClient anonymous = _management.CreateClient();
        using HttpResponseMessage old = await anonymous.GetAsync($"/v3/import/{_registrationToken}.yaml");
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
    }

    [Fact]
    public async Task ExpiredRegistrationToken_DisconnectsTheAgent_AndTheManifestSaysItExpired()
    {
        await WaitForConditionsAsync("c1", connected: "True", ready: "True");
        string past = Convert.ToBase64String(Encoding.UTF8.GetBytes("2020-01-01T00:00:00Z"));
        var body = new JsonObject { ["data"] = new JsonObject { ["expiresAt"] = past } };
        using (var patch = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/merge-patch+json"))
        using (HttpResponseMessage patched = await _a.PatchAsync("/api/v1/namespaces/appliance-system/secrets/registration-c1", patch))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        await WaitForConditionsAsync("c1", connected: "False", ready: "False", TimeSpan.FromSeconds(10));
        using HttpClient anonymous = _management.CreateClient();
        using HttpResponseMessage manifest = await anonymous.GetAsync($"/v3/import/{_registrationToken}.yaml");
        Assert.Equal(HttpStatusCode.Unauthorized, manifest.StatusCode);
        Assert.Contains("the registration token of cluster c1 expired at 2020-01-01T00:00:00Z", await manifest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentWithTheWrongCaChecksum_ExitsWithOneClearLine()
    {
        var run = await ApplianceProcess.RunAsync("agent", "--server", _management.BaseAddress.ToString(), "--token", _registrationToken,
            "--kubeconfig", Path.Combine(_downstreamDir.Path, "admin.kubeconfig"), "--ca-checksum", new string('0', 64));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("the server's CA checksum is", run.Errors, StringComparison.Ordinal);
        Assert.Contains("refusing to connect", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GeneratedKubeconfig_HoldsAFreshTokenOfTheCaller_AndAContextPerReachableCluster()
    {
        string bobConfig = await File.ReadAllTextAsync(_bobKubeconfig);
        Assert.Contains($"server: \"https://127.0.0.1:{_management.BaseAddress.Port}/k8s/clusters/c1\"", bobConfig, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_bobKubeconfig));

        // The admin on the server's host, every cluster: the admin's token comes from DATA_DIR/admin.kubeconfig.
        var admin = await ApplianceProcess.RunAsync("kubeconfig", "--data-dir", _managementDir.Path);
        Assert.True(admin.ExitCode == 0, admin.Errors);
        Assert.Contains("current-context: \"c1\"", admin.Output, StringComparison.Ordinal);
        string adminToken = ManagementApi.AdminToken(_managementDir.Path);
        Assert.Contains("token: \"token-", admin.Output, StringComparison.Ordinal);

        // The global admin is cluster-admin downstream too (pushed down as appliance-global-admins).
        string adminKubeconfig = Path.Combine(_managementDir.Path, "admin-c1.kubeconfig");
        await File.WriteAllTextAsync(adminKubeconfig, admin.Output);
        var everything = await PollKubectlAsync(adminKubeconfig, "-n team create configmap from-the-admin");
        Assert.True(everything.ExitCode == 0, everything.Errors);
        Assert.DoesNotContain(adminToken, admin.Output, StringComparison.Ordinal);

        // Carol has no role in c1: no context for her, and naming the cluster is a clear refusal.
        string carolToken = await ManagementApi.CreateUserWithTokenAsync(_a, _managementDir.Path, "u-carol", "Carol");
        var carolAll = await ApplianceProcess.RunAsync("kubeconfig", "--server", _management.BaseAddress.ToString(), "--token", carolToken,
            "--certificate-authority", Path.Combine(_managementDir.Path, "tls", "ca.crt"));
        Assert.True(carolAll.ExitCode == 0, carolAll.Errors);
        Assert.DoesNotContain("k8s/clusters/c1", carolAll.Output, StringComparison.Ordinal);
        var carolC1 = await ApplianceProcess.RunAsync("kubeconfig", "--server", _management.BaseAddress.ToString(), "--token", carolToken,
            "--certificate-authority", Path.Combine(_managementDir.Path, "tls", "ca.crt"), "--cluster", "c1");
        Assert.Equal(1, carolC1.ExitCode);
        Assert.Equal("appliance: the server refused: cluster c1 not found", carolC1.Errors.Trim());
    }

    [Fact]
    public async Task ImportManifest_ForAWrongToken_Is401WithAStatus()
    {
        using HttpClient anonymous = _management.CreateClient();
        using HttpResponseMessage response = await anonymous.GetAsync("/v3/import/c1:not-the-secret.yaml");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        JsonNode status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal("the registration token is wrong or was revoked", (string?)status["message"]);
    }

    /// <summary>Runs kubectl until it succeeds (or, with <paramref name="expectSuccess"/> false, fails), bounded: push-down is asynchronous.</summary>
    private async Task<(int ExitCode, string Output, string Errors)> PollKubectlAsync(string kubeconfig, string arguments, bool expectSuccess = true)
    {
        (int ExitCode, string Output, string Errors) result = default;
        await PollAsync(async () =>
        {
            result = await KubectlAsync(kubeconfig, arguments);
            return (result.ExitCode == 0) == expectSuccess;
        });
        return result;
    }

    private static async Task PollAsync(Func<Task<bool>> condition)
    {
        long deadline = Environment.TickCount64 + (long)StatusTimeout.TotalMilliseconds;
        while (!await condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "the condition did not hold in time");
            await Task.Delay(200);
        }
    }

    /// <summary>A WebSocket to /v3/connect speaking raw frames, as a broken or hostile agent would.</summary>
    private async Task<ClientWebSocket> ConnectRawTunnelAsync(string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        using X509Certificate2 ca = _management.CertificateAuthority;
        X509Certificate2 trusted = X509CertificateLoader.LoadCertificate(ca.RawData);
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.Add(trusted);
            return certificate is not null && chain.Build(new X509Certificate2(certificate));
        };
        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{_managementPort}/v3/connect"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return socket;
    }

    /// <summary>Reads whole frames (pings and the like pass by) until one of <paramref name="type"/>, bounded.</summary>
    private static async Task<byte[]> ReceiveFrameOfTypeAsync(ClientWebSocket socket, byte type)
    {
        var buffer = new byte[70_000];
        while (true)
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                length += result.Count;
            }
            while (!result.EndOfMessage);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            if (length > 0 && buffer[0] == type)
            {
                return buffer[..length];
            }
        }
    }

    private ApplianceProcess StartAgent(string token)
    {
        string checksum = System.Text.RegularExpressions.Regex.Match(_manifest, "\"--ca-checksum\", \"([0-9a-f]{64})\"").Groups[1].Value;
        Assert.Equal(64, checksum.Length);
        return ApplianceProcess.StartVerb("agent", "--server", _management.BaseAddress.ToString(), "--token", token,
            "--kubeconfig", Path.Combine(_downstreamDir.Path, "admin.kubeconfig"), "--ca-checksum", checksum);
    }

    private async Task<string> WaitForRegistrationTokenAsync(string clusterId)
    {
        long deadline = Environment.TickCount64 + (long)StatusTimeout.TotalMilliseconds;
        while (true)
        {
            using HttpResponseMessage response = await _a.GetAsync($"/api/v1/namespaces/appliance-system/secrets/registration-{clusterId}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                JsonNode secret = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                string token = Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["token"]!));
                if (token != _registrationToken)
                {
                    return token;
                }
            }

            Assert.True(Environment.TickCount64 < deadline, $"no registration token for {clusterId}");
            await Task.Delay(100);
        }
    }

    /// <summary>Polls the cluster's status until Connected and Ready have these values; returns the status.</summary>
    private async Task<JsonObject> WaitForConditionsAsync(string clusterId, string connected, string ready, TimeSpan? timeout = null)
    {
        long deadline = Environment.TickCount64 + (long)(timeout ?? StatusTimeout).TotalMilliseconds;
        string last = "";
        while (true)
        {
            JsonNode cluster = JsonNode.Parse(await _a.GetStringAsync($"/apis/management.appliance.io/v1/clusters/{clusterId}"))!;
            if (cluster["status"] is JsonObject status && status["conditions"] is JsonArray conditions)
            {
                last = status.ToJsonString();
                if (Condition(conditions, "Connected") == connected && Condition(conditions, "Ready") == ready)
                {
                    return status;
                }
            }

            Assert.True(Environment.TickCount64 < deadline, $"cluster {clusterId} did not become Connected={connected} Ready={ready}; last status: {last}\nagent:\n{_agent?.Output}\n{_agent?.Errors}");
            await Task.Delay(100);
        }
    }

    private static string? Condition(JsonArray conditions, string type)
    {
        foreach (JsonNode? condition in conditions)
        {
            if ((string?)condition?["type"] == type)
            {
                return (string?)condition["status"];
            }
        }

        return null;
    }

    private Task<(int ExitCode, string Output, string Errors)> KubectlAsync(string kubeconfig, string arguments)
        => Kubectl.RunAsync(kubeconfig, _managementDir.Path, arguments);
}
