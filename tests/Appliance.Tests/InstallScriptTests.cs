using System.Diagnostics;
using System.Net.Http;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace Appliance.Tests;

/// <summary>
/// install.sh with the real NativeAOT binary and the real tools (useradd, systemctl, systemd-analyze), each
/// test on a machine of its own: install-sandbox.sh runs every command in a private mount namespace whose
/// /etc, /usr/local/bin and /var/lib are the test's directories, so the host is never touched. The
/// installed unit's ExecStart= is run as its User= with its EnvironmentFile=, as systemd would (PID 1
/// here is not systemd).
/// </summary>
public sealed class InstallScriptTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private static readonly string RepositoryRoot = FindRepositoryRoot();

    private static string InstallScript => Path.Combine(RepositoryRoot, "install.sh");

    private static string SandboxScript => Path.Combine(RepositoryRoot, "tests", "Appliance.Tests", "install-sandbox.sh");

    /// <summary>The NativeAOT publish of src/Appliance; tests/run.sh makes it before dotnet test.</summary>
    private static string NativeBinary
    {
        get
        {
            string? path = Environment.GetEnvironmentVariable("APPLIANCE_NATIVE_BINARY");
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
            {
                Assert.Fail(
                    $"APPLIANCE_NATIVE_BINARY is {(string.IsNullOrEmpty(path) ? "not set" : $"'{path}', which does not exist")}: the install tests need the "
                    + "NativeAOT binary. Run bash tests/run.sh (it publishes to artifacts/publish first), or publish it yourself: "
                    + "dotnet publish src/Appliance -c Release -r linux-x64 -o artifacts/publish, then "
                    + "export APPLIANCE_NATIVE_BINARY=$PWD/artifacts/publish/appliance");
            }

            return path;
        }
    }

    private static string MachineArch => RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "x64";

    [Fact]
    public async Task Install_OnAFreshMachine_CreatesUserDataDirBinaryAndEnabledUnit_WhoseExecStartServesReadyzAsTheUser()
    {
        using var sandbox = new Sandbox(withBinary: true);

        CommandResult install = await sandbox.InstallAsync("--listen", "127.0.0.1:0");

        Assert.True(install.ExitCode == 0, install.ToString());
        string[] passwd = (await sandbox.RunCheckedAsync("getent", "passwd", "appliance")).Trim().Split(':');
        string[] group = (await sandbox.RunCheckedAsync("getent", "group", "appliance")).Trim().Split(':');
        Assert.Equal(passwd[3], group[2]);
        Assert.Equal("/var/lib/appliance", passwd[5]);
        Assert.EndsWith("nologin", passwd[6], StringComparison.Ordinal);
        Assert.True(int.Parse(passwd[2], System.Globalization.CultureInfo.InvariantCulture) < 1000, $"not a system user: {string.Join(':', passwd)}");

        Assert.Equal("755 root root", await sandbox.StatAsync("/usr/local/bin/appliance"));
        Assert.Equal(Sha256(NativeBinary), Sha256(sandbox.HostPath("/usr/local/bin/appliance")));
        Assert.StartsWith("appliance ", await sandbox.RunCheckedAsync("/usr/local/bin/appliance", "version"), StringComparison.Ordinal);

        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryRoot, "packaging", "appliance.service")), File.ReadAllText(sandbox.HostPath("/etc/systemd/system/appliance.service")));
        await AssertVerifiesCleanAsync(sandbox);
        Assert.Equal("/etc/systemd/system/appliance.service", new FileInfo(sandbox.HostPath("/etc/systemd/system/multi-user.target.wants/appliance.service")).LinkTarget);
        Assert.False(Directory.Exists(sandbox.HostPath("/etc/systemd/system/appliance.service.d")), "no drop-in for the default data dir and an unprivileged port");

        Assert.Equal("700 appliance appliance", await sandbox.StatAsync("/var/lib/appliance"));
        Assert.Contains("\nAPPLIANCE_LISTEN=127.0.0.1:0\n", File.ReadAllText(sandbox.HostPath("/etc/default/appliance")), StringComparison.Ordinal);
        Assert.Contains("https://127.0.0.1:", install.Output, StringComparison.Ordinal);
        Assert.Contains("/var/lib/appliance/bootstrap-password", install.Output, StringComparison.Ordinal);
        Assert.Contains("journalctl -u appliance", install.Output, StringComparison.Ordinal);
        Assert.Single(install.Output.Split('\n'), line => line.Contains("systemd is not running", StringComparison.Ordinal));
        Assert.Equal("", install.Errors);

        await using (ApplianceProcess server = await sandbox.StartUnitAsync())
        {
            Assert.Equal(passwd[2], ProcessUid(server.ProcessId));
            Assert.Equal("ok", await ReadyzAsync(sandbox, server.BaseAddress));
            Assert.Equal("600 appliance appliance", await sandbox.StatAsync("/var/lib/appliance/bootstrap-password"));
            Assert.Equal(0, await server.TerminateAsync());
        }
    }

    [Fact]
    public async Task Reinstall_IsAnUpgrade_ReplacesTheBinary_KeepsDataUserAndAnEditedEnvFile()
    {
        using var sandbox = new Sandbox(withBinary: true);
        Assert.Equal(0, (await sandbox.InstallAsync("--listen", "127.0.0.1:0")).ExitCode);
        await using (ApplianceProcess first = await sandbox.StartUnitAsync())
        {
            Assert.Equal(0, await first.TerminateAsync());
        }

        string passwd = await sandbox.RunCheckedAsync("getent", "passwd", "appliance");
        string ca = Sha256(sandbox.HostPath("/var/lib/appliance/tls/ca.crt"));
        string password = File.ReadAllText(sandbox.HostPath("/var/lib/appliance/bootstrap-password")).Trim();
        string envFile = sandbox.HostPath("/etc/default/appliance");
        File.WriteAllText(envFile, File.ReadAllText(envFile) + "# edited by the admin\nAPPLIANCE_EXTRA_ARGS=\"--tls-san upgraded.example.test\"\n");
        string edited = File.ReadAllText(envFile);
        // A different build: the same program with bytes after its end, which the loader ignores.
        string newBuild = Path.Combine(sandbox.Path, "release", "new-build");
        File.Copy(NativeBinary, newBuild);
        File.AppendAllText(newBuild, "another build");

        CommandResult upgrade = await sandbox.InstallAsync("--binary", newBuild);

        Assert.True(upgrade.ExitCode == 0, upgrade.ToString());
        Assert.Contains("Upgraded", upgrade.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(password, upgrade.Output + upgrade.Errors, StringComparison.Ordinal);
        Assert.Equal(Sha256(newBuild), Sha256(sandbox.HostPath("/usr/local/bin/appliance")));
        Assert.Equal("755 root root", await sandbox.StatAsync("/usr/local/bin/appliance"));
        Assert.Equal(edited, File.ReadAllText(envFile));
        Assert.Equal(passwd, await sandbox.RunCheckedAsync("getent", "passwd", "appliance"));
        Assert.Equal(ca, Sha256(sandbox.HostPath("/var/lib/appliance/tls/ca.crt")));
        Assert.Equal(password, File.ReadAllText(sandbox.HostPath("/var/lib/appliance/bootstrap-password")).Trim());
        Assert.Equal("700 appliance appliance", await sandbox.StatAsync("/var/lib/appliance"));

        // The edited env file is what the unit runs with: its extra option reissues the serving certificate.
        await using ApplianceProcess second = await sandbox.StartUnitAsync();
        Assert.Contains("upgraded.example.test", second.Output + second.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Created a new certificate authority", second.Output + second.Errors, StringComparison.Ordinal);
        Assert.Equal("ok", await ReadyzAsync(sandbox, second.BaseAddress));
        Assert.Equal(0, await second.TerminateAsync());
    }

    [Fact]
    public async Task CustomDataDirAndPrivilegedPort_GetADropInGrantingExactlyThose_WhichGoesAwayWithTheDefaults()
    {
        using var sandbox = new Sandbox(withBinary: true);

        CommandResult install = await sandbox.InstallAsync("--listen", "127.0.0.1:443", "--data-dir", "/var/lib/appliance-custom");

        Assert.True(install.ExitCode == 0, install.ToString());
        string dropIn = File.ReadAllText(sandbox.HostPath("/etc/systemd/system/appliance.service.d/install.conf"));
        string[] settings = dropIn.Split('\n').Where(line => line.Contains('=', StringComparison.Ordinal) && !line.StartsWith('#')).ToArray();
        Assert.Equal(new[] { "ReadWritePaths=", "ReadWritePaths=/var/lib/appliance-custom", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "AmbientCapabilities=CAP_NET_BIND_SERVICE" }, settings);
        await AssertVerifiesCleanAsync(sandbox);
        Assert.Equal("700 appliance appliance", await sandbox.StatAsync("/var/lib/appliance-custom"));
        Assert.False(Directory.Exists(sandbox.HostPath("/var/lib/appliance")));
        Assert.EndsWith(":/var/lib/appliance-custom:/usr/sbin/nologin", (await sandbox.RunCheckedAsync("getent", "passwd", "appliance")).Trim(), StringComparison.Ordinal);
        string envFile = File.ReadAllText(sandbox.HostPath("/etc/default/appliance"));
        Assert.Contains("\nAPPLIANCE_LISTEN=127.0.0.1:443\n", envFile, StringComparison.Ordinal);
        Assert.Contains("\nAPPLIANCE_DATA_DIR=/var/lib/appliance-custom\n", envFile, StringComparison.Ordinal);

        CommandResult back = await sandbox.InstallAsync("--listen", "127.0.0.1:8443", "--data-dir", "/var/lib/appliance");

        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.False(Directory.Exists(sandbox.HostPath("/etc/systemd/system/appliance.service.d")));
        envFile = File.ReadAllText(sandbox.HostPath("/etc/default/appliance"));
        Assert.Contains("\nAPPLIANCE_LISTEN=127.0.0.1:8443\n", envFile, StringComparison.Ordinal);
        Assert.Contains("\nAPPLIANCE_DATA_DIR=/var/lib/appliance\n", envFile, StringComparison.Ordinal);
        await AssertVerifiesCleanAsync(sandbox);
    }

    [Theory]
    [InlineData("wrong-architecture ELF", "is built for")]
    [InlineData("shell script", "is not an ELF executable")]
    public async Task ABinaryThisMachineCannotRun_IsRefusedWithOneLine_AndNothingIsInstalled(string kind, string reason)
    {
        using var sandbox = new Sandbox(withBinary: false);
        // Named as the release archive names this machine's build, so the default lookup picks it up.
        string binary = Path.Combine(sandbox.Path, "release", $"appliance-linux-{MachineArch}");
        if (kind == "shell script")
        {
            File.WriteAllText(binary, "#!/bin/sh\necho appliance\n");
        }
        else
        {
            byte[] elf = File.ReadAllBytes(NativeBinary);
            // e_machine (offset 18, little-endian): the other architecture Appliance ships for.
            (elf[18], elf[19]) = MachineArch == "x64" ? ((byte)0xB7, (byte)0) : ((byte)0x3E, (byte)0);
            File.WriteAllBytes(binary, elf);
        }

        File.SetUnixFileMode(binary, (UnixFileMode)0b111_101_101);

        CommandResult install = await sandbox.InstallAsync();

        Assert.Equal(1, install.ExitCode);
        Assert.Equal("", install.Output);
        string line = Assert.Single(install.ErrorLines);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        await AssertNothingInstalledAsync(sandbox);
    }

    [Fact]
    public async Task AMachineOfAnotherArchitecture_IsRefusedWithOneLine_AndNothingIsInstalled()
    {
        using var sandbox = new Sandbox(withBinary: true);
        string fakeBin = Directory.CreateDirectory(Path.Combine(sandbox.Path, "fake-bin")).FullName;
        string uname = Path.Combine(fakeBin, "uname");
        File.WriteAllText(uname, "#!/bin/sh\nif [ \"$1\" = -m ]; then echo riscv64; else exec /usr/bin/uname \"$@\"; fi\n");
        File.SetUnixFileMode(uname, (UnixFileMode)0b111_101_101);

        CommandResult install = await sandbox.RunAsync("env", $"PATH={fakeBin}:/usr/sbin:/usr/bin:/sbin:/bin", "bash", sandbox.Script);

        Assert.Equal(1, install.ExitCode);
        string line = Assert.Single(install.ErrorLines);
        Assert.Contains("riscv64", line, StringComparison.Ordinal);
        await AssertNothingInstalledAsync(sandbox);
    }

    [Fact]
    public async Task NonRoot_IsRefusedWithOneLine_AndNothingIsInstalled()
    {
        using var sandbox = new Sandbox(withBinary: true);

        CommandResult install = await sandbox.RunAsync("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", sandbox.Script);

        Assert.Equal(1, install.ExitCode);
        Assert.Contains("must run as root", Assert.Single(install.ErrorLines), StringComparison.Ordinal);
        await AssertNothingInstalledAsync(sandbox);
    }

    [Fact]
    public async Task Uninstall_RemovesServiceBinaryAndUnit_KeepsDataDirEnvFileAndUser_ThenPurgeRemovesThemAll()
    {
        using var sandbox = new Sandbox(withBinary: true);
        Assert.Equal(0, (await sandbox.InstallAsync("--listen", "127.0.0.1:0", "--data-dir", "/var/lib/appliance-custom")).ExitCode);
        await using (ApplianceProcess server = await sandbox.StartUnitAsync())
        {
            Assert.Equal(0, await server.TerminateAsync());
        }

        string ca = sandbox.HostPath("/var/lib/appliance-custom/tls/ca.crt");
        string caHash = Sha256(ca);

        CommandResult uninstall = await sandbox.InstallAsync("--uninstall");

        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.False(File.Exists(sandbox.HostPath("/usr/local/bin/appliance")));
        Assert.False(File.Exists(sandbox.HostPath("/etc/systemd/system/appliance.service")));
        Assert.False(Directory.Exists(sandbox.HostPath("/etc/systemd/system/appliance.service.d")));
        Assert.Null(new FileInfo(sandbox.HostPath("/etc/systemd/system/multi-user.target.wants/appliance.service")).LinkTarget);
        Assert.Equal(caHash, Sha256(ca));
        Assert.True(File.Exists(sandbox.HostPath("/etc/default/appliance")));
        Assert.Equal(0, (await sandbox.RunAsync("getent", "passwd", "appliance")).ExitCode);

        // The data dir to remove comes from the kept env file: it is not the default one.
        CommandResult purge = await sandbox.InstallAsync("--uninstall", "--purge");

        Assert.True(purge.ExitCode == 0, purge.ToString());
        Assert.False(Directory.Exists(sandbox.HostPath("/var/lib/appliance-custom")));
        Assert.False(File.Exists(sandbox.HostPath("/etc/default/appliance")));
        Assert.Equal(2, (await sandbox.RunAsync("getent", "passwd", "appliance")).ExitCode);
        Assert.Equal(2, (await sandbox.RunAsync("getent", "group", "appliance")).ExitCode);
        await AssertNothingInstalledAsync(sandbox);
    }

    [Fact]
    public async Task UninstallPurge_RefusesToRemoveADataDirTheServiceDoesNotOwn()
    {
        using var sandbox = new Sandbox(withBinary: true);
        Assert.Equal(0, (await sandbox.InstallAsync("--listen", "127.0.0.1:0")).ExitCode);
        // An admin's slip in the env file must not turn --purge into rm -rf of a system directory.
        string envFile = sandbox.HostPath("/etc/default/appliance");
        File.WriteAllText(envFile, File.ReadAllText(envFile).Replace("APPLIANCE_DATA_DIR=/var/lib/appliance", "APPLIANCE_DATA_DIR=/etc/systemd", StringComparison.Ordinal));

        CommandResult purge = await sandbox.InstallAsync("--uninstall", "--purge");

        Assert.Equal(1, purge.ExitCode);
        Assert.Contains("not owned by appliance", Assert.Single(purge.ErrorLines), StringComparison.Ordinal);
        Assert.True(Directory.Exists(sandbox.HostPath("/etc/systemd/system")));
    }

    [Fact]
    public async Task CommandLine_HelpExitsZero_AndABadOptionExitsTwoWithOneLine()
    {
        // In a sandbox too: a parsing slip (say --purge alone taken for an install) must not reach the host.
        using var sandbox = new Sandbox(withBinary: false);
        CommandResult help = await sandbox.InstallAsync("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--uninstall", help.Output, StringComparison.Ordinal);

        foreach (string[] bad in new[] { new[] { "--bogus" }, ["--purge"], ["--listen"], ["--uninstall", "--binary", "x"] })
        {
            CommandResult refused = await sandbox.InstallAsync(bad);
            Assert.Equal(2, refused.ExitCode);
            Assert.Single(refused.ErrorLines);
        }

        await AssertNothingInstalledAsync(sandbox);
    }

    [Fact]
    public async Task BadListenAddressOrDataDir_IsRefusedWithOneLine_AndNothingIsInstalled()
    {
        using var sandbox = new Sandbox(withBinary: true);
        foreach (string[] bad in new[] { new[] { "--listen", "8443" }, ["--listen", ":70000"], ["--data-dir", "relative/dir"], ["--data-dir", "/var/lib/../etc"] })
        {
            CommandResult install = await sandbox.InstallAsync(bad);
            Assert.Equal(1, install.ExitCode);
            Assert.Single(install.ErrorLines);
        }

        await AssertNothingInstalledAsync(sandbox);
    }

    [Theory]
    [InlineData("UNIT", "appliance.service")]
    [InlineData("ENV", "appliance.env")]
    public void TheScriptsEmbeddedCopy_EqualsThePackagingFile(string heredoc, string packagingFile)
    {
        // install.sh carries these so that it works from a release archive without packaging/.
        string script = File.ReadAllText(InstallScript);
        Match embedded = Regex.Match(script, $"cat <<'{heredoc}'\n(.*?\n){heredoc}\n", RegexOptions.Singleline);
        Assert.True(embedded.Success, $"no <<'{heredoc}' heredoc in install.sh");
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryRoot, "packaging", packagingFile)), embedded.Groups[1].Value);
    }

    [Fact]
    public async Task InstallScriptAndSandbox_AreShellcheckClean()
    {
        CommandResult shellcheck = await RunCommandAsync("shellcheck", [InstallScript, SandboxScript]);
        Assert.True(shellcheck.ExitCode == 0, shellcheck.ToString());
    }

    private static async Task AssertVerifiesCleanAsync(Sandbox sandbox)
    {
        // systemd-analyze verify exits 0 on unknown keys and bad values too: its output is the verdict.
        CommandResult verify = await sandbox.RunAsync("systemd-analyze", "verify", "/etc/systemd/system/appliance.service");
        Assert.True(verify.ExitCode == 0 && verify.Output.Length == 0 && verify.Errors.Length == 0, verify.ToString());
    }

    private static async Task AssertNothingInstalledAsync(Sandbox sandbox)
    {
        Assert.Empty(Directory.GetFileSystemEntries(sandbox.HostPath("/usr/local/bin")));
        Assert.Empty(Directory.GetFileSystemEntries(sandbox.HostPath("/var/lib")));
        Assert.False(File.Exists(sandbox.HostPath("/etc/systemd/system/appliance.service")));
        Assert.False(File.Exists(sandbox.HostPath("/etc/default/appliance")));
        Assert.Null(new FileInfo(sandbox.HostPath("/etc/systemd/system/multi-user.target.wants/appliance.service")).LinkTarget);
        Assert.Equal(2, (await sandbox.RunAsync("getent", "passwd", "appliance")).ExitCode);
    }

    private static async Task<string> ReadyzAsync(Sandbox sandbox, Uri baseAddress)
    {
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(sandbox.HostPath("/var/lib/appliance/tls/ca.crt"));
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Only the installed server's own CA, and the name it was reached by.
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(certificate));
                },
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            using HttpResponseMessage response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
            string body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode || Environment.TickCount64 > deadline)
            {
                return body;
            }

            await Task.Delay(100);
        }
    }

    private static string ProcessUid(int processId) =>
        File.ReadLines($"/proc/{processId}/status").First(line => line.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "install.sh")) && File.Exists(Path.Combine(directory.FullName, "Appliance.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no repository root (install.sh beside Appliance.sln) above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs a command to completion, bounded by <see cref="CommandTimeout"/>; kills it when it overruns.</summary>
    private static async Task<CommandResult> RunCommandAsync(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("NOTIFY_SOCKET");
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish in {CommandTimeout.TotalSeconds} s");
        }

        return new CommandResult(process.ExitCode, await output, await errors, $"{fileName} {string.Join(' ', start.ArgumentList)}");
    }

    private sealed record CommandResult(int ExitCode, string Output, string Errors, string Command)
    {
        public string[] ErrorLines => Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        public override string ToString() => $"{Command}: exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Errors}";
    }

    /// <summary>
    /// One machine for install.sh: a release folder (install.sh, and this machine's build when asked for)
    /// and the directories install-sandbox.sh mounts over /etc, /usr/local/bin and /var/lib.
    /// </summary>
    private sealed class Sandbox : IDisposable
    {
        private readonly TemporaryDirectory _directory = new();

        public Sandbox(bool withBinary)
        {
            // The non-root test's user must reach install.sh through this directory.
            File.SetUnixFileMode(Path, (UnixFileMode)0b111_101_101);
            string release = Directory.CreateDirectory(System.IO.Path.Combine(Path, "release")).FullName;
            Script = System.IO.Path.Combine(release, "install.sh");
            File.Copy(InstallScript, Script);
            if (withBinary)
            {
                File.Copy(NativeBinary, System.IO.Path.Combine(release, $"appliance-linux-{MachineArch}"));
            }
        }

        public string Path => _directory.Path;

        /// <summary>install.sh as a release archive holds it: no packaging/ folder beside it.</summary>
        public string Script { get; }

        /// <summary>Where a path inside the sandbox is on the host, for reading what a command left there.</summary>
        public string HostPath(string path)
        {
            foreach ((string inside, string outside) in new[] { ("/etc", "etc"), ("/usr/local/bin", "usr-local-bin"), ("/var/lib", "var-lib") })
            {
                if (path == inside || path.StartsWith(inside + "/", StringComparison.Ordinal))
                {
                    return System.IO.Path.Combine(Path, outside) + path[inside.Length..];
                }
            }

            throw new ArgumentException($"{path} is not inside the sandbox's mounts", nameof(path));
        }

        /// <summary>install.sh inside the sandbox, never on the host.</summary>
        public Task<CommandResult> InstallAsync(params string[] arguments) => RunAsync(["bash", Script, .. arguments]);

        public Task<CommandResult> RunAsync(params string[] command) =>
            RunCommandAsync("unshare", ["--mount", "--propagation", "private", "bash", SandboxScript, Path, "exec", .. command]);

        public async Task<string> RunCheckedAsync(params string[] command)
        {
            CommandResult result = await RunAsync(command);
            Assert.True(result.ExitCode == 0, result.ToString());
            return result.Output;
        }

        /// <summary>Mode, owner and group as the sandbox's /etc/passwd and /etc/group name them.</summary>
        public async Task<string> StatAsync(string path) => (await RunCheckedAsync("stat", "-c", "%a %U %G", path)).Trim();

        /// <summary>The installed unit's ExecStart= running in its sandbox; its PID is the server's (the harness execs into it).</summary>
        public Task<ApplianceProcess> StartUnitAsync() =>
            ApplianceProcess.StartListeningAsync("unshare", "--mount", "--propagation", "private", "bash", SandboxScript, Path, "start-unit");

        public void Dispose() => _directory.Dispose();
    }
}
