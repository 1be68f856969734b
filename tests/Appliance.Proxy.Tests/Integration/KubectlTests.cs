using System.Diagnostics;
using System.Text.Json;

namespace Appliance.Proxy.Tests.Integration;

/// <summary>
/// The real kubectl (client-go: its own TLS, ALPN, keep-alive, headers) through the proxy to a fake
/// upstream that answers /version, /api and one list. The full end-to-end against our API server is the
/// lead's (issue 6, "Done when").
/// </summary>
public sealed class KubectlTests(ProxyFixture fixture) : IClassFixture<ProxyFixture>, IDisposable
{
    private const string Kubectl = "/usr/bin/kubectl";

    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-kubectl-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Kubectl_VersionRawAndGet_ThroughTheProxy()
    {
        if (!File.Exists(Kubectl))
        {
            return; // Not on this machine; the lead's end-to-end run has it.
        }

        string kubeconfig = Path.Combine(_directory, "config");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c1
              cluster:
                server: https://127.0.0.1:{fixture.Port}/k8s/clusters/c1
                insecure-skip-tls-verify: true
            users:
            - name: alice
              user:
                token: {TestAuthenticator.AliceToken}
            contexts:
            - name: c1
              context:
                cluster: c1
                user: alice
                namespace: default
            current-context: c1
            """);

        string version = await RunAsync(kubeconfig, "version", "-o", "json");
        using (var json = JsonDocument.Parse(version))
        {
            Assert.Equal("v1.32.4", json.RootElement.GetProperty("serverVersion").GetProperty("gitVersion").GetString());
        }

        // --raw paths are absolute on the host (client-go does not prefix the server URL's path), so they name the proxy route.
        Assert.Contains("APIVersions", await RunAsync(kubeconfig, "get", "--raw", "/k8s/clusters/c1/api"), StringComparison.Ordinal);
        Assert.Contains("from-the-fake-upstream", await RunAsync(kubeconfig, "get", "--raw", "/k8s/clusters/c1/api/v1/namespaces/default/configmaps"), StringComparison.Ordinal);

        RecordedRequest version1 = fixture.Upstream.RequestsMatching("/version").First();
        Assert.Equal(["u-alice"], version1.HeaderValues("Impersonate-User"));
        Assert.Equal(["Bearer sa-token-c1"], version1.HeaderValues("Authorization"));
        Assert.StartsWith("kubectl", version1.Header("User-Agent"), StringComparison.Ordinal);
    }

    private async Task<string> RunAsync(string kubeconfig, params string[] arguments)
    {
        var start = new ProcessStartInfo(Kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["HOME"] = _directory, ["KUBECONFIG"] = kubeconfig },
        };
        start.ArgumentList.Add("--cache-dir");
        start.ArgumentList.Add(Path.Combine(_directory, "cache"));
        start.ArgumentList.Add("--request-timeout=20s");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"kubectl {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        return await output;
    }
}
