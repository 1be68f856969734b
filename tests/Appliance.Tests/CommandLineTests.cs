using System.Text.Json;

namespace Appliance.Tests;

public class CommandLineTests
{
    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int exitCode = await ApplianceCommandLine.RunAsync(args, output, errors);
        return (exitCode, output.ToString(), errors.ToString());
    }

    private static void AssertOneReadableLine(string errors, string expectedFragment)
    {
        string[] lines = errors.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("appliance: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expectedFragment, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoVerb_ExitsTwoAskingForOne()
    {
        (int exitCode, _, string errors) = await RunAsync();
        Assert.Equal(2, exitCode);
        AssertOneReadableLine(errors, "a verb is required");
    }

    [Fact]
    public async Task UnknownVerb_ExitsTwoNamingIt()
    {
        (int exitCode, _, string errors) = await RunAsync("frobnicate");
        Assert.Equal(2, exitCode);
        AssertOneReadableLine(errors, "'frobnicate'");
    }

    [Fact]
    public async Task UnknownServerFlag_ExitsTwoNamingItAndTheVerbsHelp()
    {
        (int exitCode, _, string errors) = await RunAsync("server", "--no-such-flag");
        Assert.Equal(2, exitCode);
        AssertOneReadableLine(errors, "'--no-such-flag'");
        Assert.Contains("appliance server --help", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":65536", "65536")]
    [InlineData(":-1", "-1")]
    [InlineData("127.0.0.1:http", "http")]
    [InlineData("8443", "not HOST:PORT")]
    [InlineData("example.com:8443", "example.com")]
    [InlineData("::1:8443", "::1")]
    [InlineData("localhost:0", "fixed port")]
    public async Task BadListenValue_ExitsTwoSayingWhatIsWrong(string listen, string expectedFragment)
    {
        (int exitCode, _, string errors) = await RunAsync("server", "--listen", listen);
        Assert.Equal(2, exitCode);
        AssertOneReadableLine(errors, expectedFragment);
    }

    [Fact]
    public async Task DataDirThatCannotBeCreated_ExitsTwoNamingIt()
    {
        using var temporary = new TemporaryDirectory();
        string file = Path.Combine(temporary.Path, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");

        (int exitCode, _, string errors) = await RunAsync("server", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(file, "data"));

        Assert.Equal(2, exitCode);
        AssertOneReadableLine(errors, "data dir");
    }

    [Fact]
    public async Task BadTlsSan_ExitsTwoNamingIt()
    {
        (int exitCode, _, string errors) = await RunAsync("server", "--tls-san", "not a name");
        Assert.Equal(2, exitCode);
        AssertOneReadableLine(errors, "'not a name'");
    }

    [Fact]
    public async Task Help_ListsEveryVerbAndExitsZero()
    {
        (int exitCode, string output, string errors) = await RunAsync("--help");
        Assert.Equal(0, exitCode);
        Assert.Empty(errors);
        Assert.Contains("server", output, StringComparison.Ordinal);
        Assert.Contains("version", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerHelp_ListsItsOptionsWithDefaults()
    {
        (int exitCode, string output, _) = await RunAsync("server", "--help");
        Assert.Equal(0, exitCode);
        Assert.Contains("--listen", output, StringComparison.Ordinal);
        Assert.Contains("[default: :8443]", output, StringComparison.Ordinal);
        Assert.Contains("--data-dir", output, StringComparison.Ordinal);
        Assert.Contains("--tls-san", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_PrintsVersionCommitAndPlatform()
    {
        (int exitCode, string output, _) = await RunAsync("version");
        Assert.Equal(0, exitCode);
        Assert.Matches(@"^appliance \d+\.\d+\.\d+ \(commit \S+, built \S+, linux/(amd64|arm64)\)\n$", output);
    }

    [Fact]
    public async Task VersionJson_IsTheVersionDocument()
    {
        (int exitCode, string output, _) = await RunAsync("version", "--json");
        Assert.Equal(0, exitCode);
        using JsonDocument document = JsonDocument.Parse(output);
        Assert.Equal(BuildInfo.Current.Version, document.RootElement.GetProperty("version").GetString());
        Assert.Equal("linux", document.RootElement.GetProperty("os").GetString());
    }

    [Fact]
    public async Task TheRealProcess_ExitsTwoWithOneLineOnStderr()
    {
        (int exitCode, string output, string errors) = await ApplianceProcess.RunAsync("server", "--listen", ":70000");
        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        AssertOneReadableLine(errors, "70000");
    }
}
