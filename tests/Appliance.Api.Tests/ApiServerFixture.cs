using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Appliance.Auth;
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
public class ApiServerFixture : IAsyncLifetime
{
    public const string Kubectl = "/usr/bin/kubectl";

    /// <summary>Short, so a test sees a BOOKMARK quickly (the default is a minute).</summary>
    public static readonly TimeSpan BookmarkInterval = TimeSpan.FromMilliseconds(300);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "appliance-api-tests-" + Guid.NewGuid().ToString("N"));
    private readonly X509Certificate2 _certificate = CreateCertificate();
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public string KubeconfigPath => Path.Combine(_directory, "kubeconfig");

    /// <summary>A token of the bootstrap admin (cluster-admin); <see cref="Client"/> sends it.</summary>
    public string AdminToken { get; private set; } = "";

    public KeyValueStore Store => _app!.Services.GetRequiredService<KeyValueStore>();

    public IServiceProvider Services => _app!.Services;

    /// <summary>The API's audit log (JSON lines).</summary>
    public string AuditLogPath => Path.Combine(_directory, "audit", "api.log");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // TLS, because kubectl sends no bearer token over plain HTTP.
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_certificate)));
        builder.Services.AddApplianceStore(options => options.DatabasePath = Path.Combine(_directory, "state.db"));
        builder.Services.AddApplianceAuth(_directory);
        builder.Services.AddApplianceApi(options =>
        {
            options.WatchBookmarkInterval = BookmarkInterval;
            options.AuditLogPath = AuditLogPath;
            ConfigureApi(options);
        });
        ConfigureBuilder(builder);
        _app = builder.Build();
        _app.MapApplianceApi();
        _app.MapGet("/version", KubernetesVersion.Handler(KubernetesVersion.Create("0.1.0", "test", "2026-01-01T00:00:00Z")));
        await _app.StartAsync();

        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        AdminToken = await IssueTokenAsync(_app.Services.GetRequiredService<SecurityBootstrapper>().AdminUserId);
        Client = CreateClient(AdminToken);
        await File.WriteAllTextAsync(KubeconfigPath, $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: appliance
              cluster:
                server: {{address}}
                certificate-authority-data: {{Convert.ToBase64String(Encoding.ASCII.GetBytes(_certificate.ExportCertificatePem()))}}
            users:
            - name: tester
              user:
                token: {{AdminToken}}
            contexts:
            - name: appliance
              context:
                cluster: appliance
                user: tester
            current-context: appliance
            """);
    }

    /// <summary>For fixtures that need other API options than the defaults.</summary>
    protected virtual void ConfigureApi(ApiOptions options)
    {
    }

    /// <summary>For fixtures that need more of the host, such as a log capture.</summary>
    protected virtual void ConfigureBuilder(WebApplicationBuilder builder)
    {
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        _certificate.Dispose();
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

    /// <summary>A client of this server sending <paramref name="token"/> as its bearer token (none when null).</summary>
    public HttpClient CreateClient(string? token)
    {
        var handler = new HttpClientHandler
        {
            // Trust exactly this server's certificate.
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.RawData.AsSpan().SequenceEqual(_certificate.RawData),
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>
    /// A client that keeps no cookies and follows no redirects, as a test of cookies and redirects needs: it sets
    /// <c>Cookie</c> headers itself and reads <c>Set-Cookie</c> and <c>Location</c> from the answers.
    /// </summary>
    public HttpClient CreateRawClient()
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.RawData.AsSpan().SequenceEqual(_certificate.RawData),
            UseCookies = false,
            AllowAutoRedirect = false,
        };
        return new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A new token of user <paramref name="userId"/>, creating the User when it does not exist.</summary>
    public async Task<string> IssueTokenAsync(string userId, bool enabled = true)
    {
        ResourceEngine engine = _app!.Services.GetRequiredService<ResourceEngine>();
        try
        {
            await engine.CreateAsync(engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "users")!, null,
                new JsonObject { ["metadata"] = new JsonObject { ["name"] = userId }, ["username"] = userId, ["enabled"] = enabled }, dryRun: false);
        }
        catch (ApiException e) when (e.Status.Reason == "AlreadyExists")
        {
        }

        ApiToken token = await _app.Services.GetRequiredService<TokenIssuer>().IssueAsync(userId, "apikey", "test", lifetime: null);
        return token.ToString();
    }

    /// <summary>A self-signed serving certificate for 127.0.0.1 that is its own CA (kubectl trusts it by its CA data).</summary>
    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=appliance-api-tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>A fresh namespace for one test, so tests sharing the server do not see each other's objects.</summary>
    public async Task<string> CreateNamespaceAsync()
    {
        string name = "t-" + Guid.NewGuid().ToString("N")[..10];
        using HttpResponseMessage response = await Client.PostAsync("/api/v1/namespaces", Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return name;
    }

    /// <summary>The audit log as written so far ("" before its first line), read beside the server that appends to it.</summary>
    public async Task<string> ReadAuditLogAsync()
    {
        if (!File.Exists(AuditLogPath))
        {
            return "";
        }

        await using var stream = new FileStream(AuditLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>Creates or replaces an object as the admin (PUT with the stored resourceVersion, or POST).</summary>
    public async Task PutAsync(string path, JsonObject obj)
    {
        using HttpResponseMessage current = await Client.GetAsync(path);
        if (current.StatusCode == HttpStatusCode.OK)
        {
            obj["metadata"]!["resourceVersion"] = (await ReadObjectAsync(current))["metadata"]!["resourceVersion"]!.DeepClone();
            using HttpResponseMessage replaced = await Client.PutAsync(path, Json(obj));
            Assert.True(replaced.IsSuccessStatusCode, await replaced.Content.ReadAsStringAsync());
            return;
        }

        using HttpResponseMessage created = await Client.PostAsync(path[..path.LastIndexOf('/')], Json(obj));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
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
