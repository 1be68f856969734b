using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Appliance.Tests;

/// <summary>The admin.kubeconfig the server writes at start, used by the real kubectl against the real binary.</summary>
public class AdminKubeconfigTests
{
    private static string KubeconfigPath(string dataDir) => Path.Combine(dataDir, "admin.kubeconfig");

    private static string TokenIn(string dataDir)
        => File.ReadAllLines(KubeconfigPath(dataDir)).Single(static line => line.TrimStart().StartsWith("token: ", StringComparison.Ordinal)).Trim()["token: ".Length..];

    private static Task<(int ExitCode, string Output, string Errors)> KubectlAsync(string dataDir, string arguments)
        => Kubectl.RunAsync(KubeconfigPath(dataDir), dataDir, arguments);

    [Fact]
    public async Task FirstStart_WritesAnOwnerOnlyKubeconfigWithWhichKubectlIsTheAdmin()
    {
        using var dataDir = new TemporaryDirectory();
        await using ApplianceProcess server = await ApplianceProcess.StartServerAsync(dataDir.Path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KubeconfigPath(dataDir.Path)));
        Assert.Contains($"server: https://127.0.0.1:{server.BaseAddress.Port}", File.ReadAllText(KubeconfigPath(dataDir.Path)), StringComparison.Ordinal);

        var namespaces = await KubectlAsync(dataDir.Path, "get namespaces -o name");
        Assert.True(namespaces.ExitCode == 0, namespaces.Errors);
        Assert.Contains("namespace/default", namespaces.Output, StringComparison.Ordinal);

        var whoami = await KubectlAsync(dataDir.Path, "auth whoami -o json");
        Assert.True(whoami.ExitCode == 0, whoami.Errors);
        using JsonDocument review = JsonDocument.Parse(whoami.Output);
        JsonElement userInfo = review.RootElement.GetProperty("status").GetProperty("userInfo");
        Assert.StartsWith("u-", userInfo.GetProperty("username").GetString(), StringComparison.Ordinal);
        Assert.Equal("Default Admin", userInfo.GetProperty("extra").GetProperty("username")[0].GetString());

        var canI = await KubectlAsync(dataDir.Path, "auth can-i '*' '*' --all-namespaces");
        Assert.Equal("yes", canI.Output.Trim());

        // The token is in the file only: the log never shows it.
        Assert.DoesNotContain(TokenIn(dataDir.Path), server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_KeepsTheToken_AndADeletedKubeconfigIsReissuedRevokingTheOldToken()
    {
        using var dataDir = new TemporaryDirectory();
        await using (ApplianceProcess first = await ApplianceProcess.StartServerAsync(dataDir.Path))
        {
            Assert.Equal(0, await first.TerminateAsync());
        }

        string firstToken = TokenIn(dataDir.Path);
        await using (ApplianceProcess second = await ApplianceProcess.StartServerAsync(dataDir.Path))
        {
            Assert.Equal(firstToken, TokenIn(dataDir.Path));
            Assert.Contains($"server: https://127.0.0.1:{second.BaseAddress.Port}", File.ReadAllText(KubeconfigPath(dataDir.Path)), StringComparison.Ordinal);
            Assert.Equal(0, (await KubectlAsync(dataDir.Path, "get namespaces")).ExitCode);
            Assert.Equal(0, await second.TerminateAsync());
        }

        File.Delete(KubeconfigPath(dataDir.Path));
        await using ApplianceProcess third = await ApplianceProcess.StartServerAsync(dataDir.Path);
        string newToken = TokenIn(dataDir.Path);
        Assert.NotEqual(firstToken, newToken);
        Assert.Equal(0, (await KubectlAsync(dataDir.Path, "get namespaces")).ExitCode);

        using HttpClient client = third.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", firstToken);
        using HttpResponseMessage response = await client.GetAsync("/api/v1/namespaces");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_WithoutOrWithABadToken_Is401WithAStatusBody()
    {
        using var dataDir = new TemporaryDirectory();
        await using ApplianceProcess server = await ApplianceProcess.StartServerAsync(dataDir.Path);
        using HttpClient client = server.CreateClient();
        foreach (string? token in new[] { null, "token-abcde:" + new string('x', 54), "not-a-token" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/secrets");
            if (token is not null)
            {
                request.Headers.Authorization = new("Bearer", token);
            }

            using HttpResponseMessage response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            using JsonDocument status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("Status", status.RootElement.GetProperty("kind").GetString());
            Assert.Equal("Unauthorized", status.RootElement.GetProperty("reason").GetString());
        }

        Assert.Contains("Authentication failed", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 54), server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_WithAWatchOpen_EndsTheWatchAndExitsCleanlyWithoutWaitingOutTheShutdownBound()
    {
        using var dataDir = new TemporaryDirectory();
        await using ApplianceProcess server = await ApplianceProcess.StartServerAsync(dataDir.Path);
        using HttpClient client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TokenIn(dataDir.Path));
        using HttpResponseMessage watch = await client.GetAsync("/api/v1/namespaces?watch=1", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync());
        Assert.Contains("\"ADDED\"", await events.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);

        var stopping = Stopwatch.StartNew();
        Assert.Equal(0, await server.TerminateAsync());
        // The shutdown bound is 20 s; a watch that ignored shutdown would hold the process that long.
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"exit took {stopping.Elapsed}");
        // What was written before the stop may still be read; then the stream ends.
        using var ended = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await events.ReadLineAsync(ended.Token) is string line)
        {
            Assert.Contains("\"ADDED\"", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task FirstStart_WritesTheBootstrapPasswordOwnerOnly_NeverLogsIt_AndItLogsTheAdminIn()
    {
        using var dataDir = new TemporaryDirectory();
        string path = Path.Combine(dataDir.Path, "bootstrap-password");
        await using (ApplianceProcess server = await ApplianceProcess.StartServerAsync(dataDir.Path))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            string password = (await File.ReadAllTextAsync(path)).Trim();
            Assert.Equal(24, password.Length);
            Assert.Contains(path, server.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(password, server.Output, StringComparison.Ordinal);

            using HttpClient client = server.CreateClient();
            using HttpResponseMessage login = await client.PostAsync("/v3-public/localProviders/local?action=login",
                new StringContent($$"""{"username":"admin","password":"{{password}}"}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, login.StatusCode);
            using JsonDocument token = JsonDocument.Parse(await login.Content.ReadAsStringAsync());
            client.DefaultRequestHeaders.Authorization = new("Bearer", token.RootElement.GetProperty("token").GetString());
            using HttpResponseMessage namespaces = await client.GetAsync("/api/v1/namespaces");
            Assert.Equal(HttpStatusCode.OK, namespaces.StatusCode);
            Assert.Equal(0, await server.TerminateAsync());
        }

        File.Delete(path);
        await using ApplianceProcess restarted = await ApplianceProcess.StartServerAsync(dataDir.Path);
        Assert.False(File.Exists(path));
    }
}
