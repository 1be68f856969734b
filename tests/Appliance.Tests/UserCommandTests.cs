using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Tests;

/// <summary>
/// `appliance user add|passwd|disable|enable` as the built binary, against a running server: passwords on stdin,
/// checked by signing in through the local login; disabling stops sign-in and every token at once.
/// </summary>
public sealed class UserCommandTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private string DataDir => server.Process.DataDir;

    /// <summary>Runs `appliance ARGS` with <paramref name="input"/> on its stdin (closed after it; none when null).</summary>
    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "appliance.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("NOTIFY_SOCKET");
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"appliance {string.Join(' ', arguments)} did not finish in {RunTimeout}");
        }

        return (process.ExitCode, await output, await errors);
    }

    private Task<(int ExitCode, string Output, string Errors)> UserAsync(string? password, params string[] arguments)
        => RunAsync(password is null ? null : password + "\n", ["user", .. arguments, "--data-dir", DataDir]);

    private static void AssertOneLine(string errors, string expectedFragment)
    {
        string[] lines = errors.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, errors);
        Assert.StartsWith("appliance: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expectedFragment, lines[0], StringComparison.Ordinal);
    }

    /// <summary>Signs in through the local provider; the token on 201, null on 401.</summary>
    private async Task<string?> LoginAsync(string username, string password)
    {
        using HttpClient client = server.Process.CreateClient();
        using var body = new StringContent(new JsonObject { ["username"] = username, ["password"] = password }.ToJsonString(), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await client.PostAsync("/v3-public/localProviders/local?action=login", body);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return null;
        }

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
    }

    private async Task<HttpStatusCode> GetAsync(string token, string path)
    {
        using HttpClient client = server.Process.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using HttpResponseMessage response = await client.GetAsync(path);
        return response.StatusCode;
    }

    private async Task<JsonObject> AdminGetAsync(string path)
    {
        string adminToken = File.ReadAllLines(Path.Combine(DataDir, "admin.kubeconfig")).Single(static l => l.TrimStart().StartsWith("token: ", StringComparison.Ordinal)).Trim()["token: ".Length..];
        using HttpClient client = server.Process.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", adminToken);
        return (JsonObject)JsonNode.Parse(await client.GetStringAsync(path))!;
    }

    [Fact]
    public async Task AddPasswdDisableEnable_WithPasswordsOnStdin_AsTheLocalLoginSeesThem()
    {
        const string first = "bob-password-1234";
        const string second = "bob-password-5678";
        var added = await UserAsync(first, "add", "bob", "--display-name", "Bob Builder");
        Assert.True(added.ExitCode == 0, added.Errors);
        Assert.Matches(@"^Added user bob \(u-[a-z0-9]{5}\)\.\n$", added.Output);

        string? token = await LoginAsync("bob", first);
        Assert.NotNull(token);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(token, "/api"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(token, "/api/v1/namespaces/appliance-system/secrets"));

        var passwd = await UserAsync(second, "passwd", "bob");
        Assert.True(passwd.ExitCode == 0, passwd.Errors);
        Assert.StartsWith("Set the password of bob (u-", passwd.Output, StringComparison.Ordinal);
        Assert.Null(await LoginAsync("bob", first));
        string? newToken = await LoginAsync("bob", second);
        Assert.NotNull(newToken);

        var disabled = await UserAsync(null, "disable", "bob");
        Assert.True(disabled.ExitCode == 0, disabled.Errors);
        Assert.Contains("Disabled bob", disabled.Output, StringComparison.Ordinal);
        Assert.Null(await LoginAsync("bob", second));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(token, "/api"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(newToken, "/api"));

        var enabled = await UserAsync(null, "enable", "bob");
        Assert.True(enabled.ExitCode == 0, enabled.Errors);
        Assert.NotNull(await LoginAsync("bob", second));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(newToken, "/api"));

        // No password anywhere it could leak: the verb's output, the server's log.
        foreach (string text in new[] { added.Output, added.Errors, passwd.Output, passwd.Errors, server.Process.Output, server.Process.Errors })
        {
            Assert.DoesNotContain(first, text, StringComparison.Ordinal);
            Assert.DoesNotContain(second, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Refusals_DuplicateUnknownTooShortAndNoPassword_ExitOneWithOneLine_AndLeaveNothingBehind()
    {
        var first = await UserAsync("carol-password-1", "add", "carol");
        Assert.True(first.ExitCode == 0, first.Errors);

        var duplicate = await UserAsync("carol-password-2", "add", "carol");
        Assert.Equal(1, duplicate.ExitCode);
        AssertOneLine(duplicate.Errors, "a local user named 'carol' already exists");

        var unknown = await UserAsync("nobody-password-1", "passwd", "nobody");
        Assert.Equal(1, unknown.ExitCode);
        AssertOneLine(unknown.Errors, "no local user named 'nobody'");
        Assert.Equal(1, (await UserAsync(null, "disable", "nobody")).ExitCode);

        int bindingsBefore = (await AdminGetAsync("/apis/management.appliance.io/v1/globalrolebindings"))["items"]!.AsArray().Count;
        var tooShort = await UserAsync("short-pw", "add", "dave", "--admin");
        Assert.Equal(1, tooShort.ExitCode);
        AssertOneLine(tooShort.Errors, "at least 12 characters");
        // Undone: no user dave, no binding left from --admin.
        JsonObject users = await AdminGetAsync("/apis/management.appliance.io/v1/users");
        Assert.DoesNotContain(users["items"]!.AsArray(), u => u!["username"]?.GetValue<string>() == "dave");
        Assert.Equal(bindingsBefore, (await AdminGetAsync("/apis/management.appliance.io/v1/globalrolebindings"))["items"]!.AsArray().Count);

        var shortPasswd = await UserAsync("short-pw", "passwd", "carol");
        Assert.Equal(1, shortPasswd.ExitCode);
        AssertOneLine(shortPasswd.Errors, "at least 12 characters");
        Assert.NotNull(await LoginAsync("carol", "carol-password-1"));

        var noInput = await UserAsync(null, "passwd", "carol");
        Assert.Equal(1, noInput.ExitCode);
        AssertOneLine(noInput.Errors, "no password on stdin");
        var empty = await UserAsync("", "add", "erin");
        Assert.Equal(1, empty.ExitCode);
        AssertOneLine(empty.Errors, "empty");
    }

    [Fact]
    public async Task AddAdmin_BindsTheAdminGlobalRole_AndTheNewAdminManagesUsersWithServerAndToken()
    {
        const string password = "root-password-1234";
        var added = await UserAsync(password, "add", "root2", "--admin", "--must-change-password", "--display-name", "Root Two");
        Assert.True(added.ExitCode == 0, added.Errors);
        Assert.Contains("an administrator", added.Output, StringComparison.Ordinal);
        string id = added.Output.Split('(', ')')[1];

        JsonObject user = await AdminGetAsync("/apis/management.appliance.io/v1/users/" + id);
        Assert.Equal("Root Two", user["displayName"]!.GetValue<string>());
        Assert.True(user["mustChangePassword"]!.GetValue<bool>());
        Assert.Equal(["local://" + id], user["principalIds"]!.AsArray().Select(p => p!.GetValue<string>()));

        string token = (await LoginAsync("root2", password))!;
        Assert.Equal(HttpStatusCode.OK, await GetAsync(token, "/api/v1/namespaces/appliance-system/secrets"));

        // Another administrator, from anywhere: --server, --token, --certificate-authority.
        string[] remote = ["--server", server.Process.BaseAddress.ToString(), "--token", token, "--certificate-authority", Path.Combine(DataDir, "tls", "ca.crt")];
        var frank = await RunAsync("frank-password-1\n", ["user", "add", "frank", .. remote]);
        Assert.True(frank.ExitCode == 0, frank.Errors);
        Assert.NotNull(await LoginAsync("frank", "frank-password-1"));
        var disable = await RunAsync(null, ["user", "disable", "frank", .. remote]);
        Assert.True(disable.ExitCode == 0, disable.Errors);
        Assert.Null(await LoginAsync("frank", "frank-password-1"));

        var self = await RunAsync(null, ["user", "disable", "root2", .. remote]);
        Assert.Equal(1, self.ExitCode);
        AssertOneLine(self.Errors, "is the user this command runs as");

        // A user who is no administrator may not: the server's RBAC says so.
        Assert.True((await UserAsync("gina-password-12", "add", "gina")).ExitCode == 0);
        string gina = (await LoginAsync("gina", "gina-password-12"))!;
        var refused = await RunAsync("x-password-12345\n", ["user", "passwd", "root2", "--server", server.Process.BaseAddress.ToString(), "--token", gina, "--certificate-authority", Path.Combine(DataDir, "tls", "ca.crt")]);
        Assert.Equal(1, refused.ExitCode);
        AssertOneLine(refused.Errors, "cannot");
    }

    [Fact]
    public async Task Help_ShowsTheSubcommandsAndOptions_AndNoPasswordOption()
    {
        var help = await RunAsync(null, "user", "--help");
        Assert.Equal(0, help.ExitCode);
        foreach (string expected in new[] { "add", "passwd", "disable", "enable", "--server", "--token", "--data-dir" })
        {
            Assert.Contains(expected, help.Output, StringComparison.Ordinal);
        }

        var addHelp = await RunAsync(null, "user", "add", "--help");
        Assert.Equal(0, addHelp.ExitCode);
        foreach (string expected in new[] { "--admin", "--must-change-password", "--display-name", "stdin" })
        {
            Assert.Contains(expected, addHelp.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--password", addHelp.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("user", "Required command")]
    [InlineData("user add", "name")]
    [InlineData("user add bob --password secret-password-1", "--password")]
    [InlineData("user add bob extra", "extra")]
    [InlineData("user passwd bob --server http://127.0.0.1:1 --token t", "not an https URL")]
    [InlineData("user passwd bob --server https://127.0.0.1:1", "--server and --token go together")]
    [InlineData("user disable bob --data-dir /nonexistent/appliance", "admin.kubeconfig does not exist")]
    public async Task BadUsage_ExitsTwoWithOneLine(string arguments, string expectedFragment)
    {
        var run = await RunAsync(null, arguments.Split(' '));
        Assert.Equal(2, run.ExitCode);
        AssertOneLine(run.Errors, expectedFragment);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task BadName_ExitsTwo()
    {
        var run = await RunAsync(null, "user", "add", "bad name", "--data-dir", DataDir);
        Assert.Equal(2, run.ExitCode);
        AssertOneLine(run.Errors, "is not a user name");
    }
}
