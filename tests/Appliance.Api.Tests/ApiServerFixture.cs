using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Tests;

/// <summary>
/// One API server per test class: Kestrel on 127.0.0.1:0 over plain HTTP, a real SQLite store in a temp
/// dir, and a kubeconfig pointing the real kubectl at it.
/// </summary>
public sealed class ApiServerFixture : IAsyncLifetime
{
    public const string Kubectl = "/usr/bin/kubectl";

    /// <summary>Short, so a test sees a BOOKMARK quickly (the default is a minute).</summary>
    public static readonly TimeSpan BookmarkInterval = TimeSpan.FromMilliseconds(300);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "appliance-api-tests-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string KubeconfigPath => Path.Combine(_directory, "kubeconfig");

    public KeyValueStore Store => _app!.Services.GetRequiredService<KeyValueStore>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        builder.Services.AddApplianceStore(options => options.DatabasePath = Path.Combine(_directory, "state.db"));
        builder.Services.AddApplianceApi(options => options.WatchBookmarkInterval = BookmarkInterval);
        _app = builder.Build();
        _app.MapApplianceApi();
        _app.MapGet("/version", KubernetesVersion.Handler(KubernetesVersion.Create("0.1.0", "test", "2026-01-01T00:00:00Z")));
        await _app.StartAsync();

        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        await File.WriteAllTextAsync(KubeconfigPath, $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: appliance
              cluster:
                server: {{address}}
            users:
            - name: tester
              user: {}
            contexts:
            - name: appliance
              context:
                cluster: appliance
                user: tester
            current-context: appliance
            """);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A fresh namespace for one test, so tests sharing the server do not see each other's objects.</summary>
    public async Task<string> CreateNamespaceAsync()
    {
        string name = "t-" + Guid.NewGuid().ToString("N")[..10];
        using HttpResponseMessage response = await Client.PostAsync("/api/v1/namespaces", Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return name;
    }

    public static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    public static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response)
        => (JsonObject)(await response.Content.ReadFromJsonAsync<JsonNode>())!;

    /// <summary>Runs kubectl against this server; bounded by <paramref name="timeout"/> (the process tree is killed).</summary>
    public async Task<KubectlResult> RunKubectlAsync(string arguments, TimeSpan? timeout = null, Dictionary<string, string>? environment = null)
    {
        using Process process = StartKubectl(arguments, environment);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {arguments} did not finish in time");
        }

        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts kubectl with redirected output; the caller stops it (by this process object) and disposes it.</summary>
    public Process StartKubectl(string arguments, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Kubectl)
        {
            Arguments = $"--kubeconfig {KubeconfigPath} --cache-dir {Path.Combine(_directory, "kube-cache")} --request-timeout=20s " + arguments,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["HOME"] = _directory;
        foreach ((string name, string value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        return Process.Start(start)!;
    }
}
