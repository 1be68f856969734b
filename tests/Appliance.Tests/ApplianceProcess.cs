using System.Diagnostics;
using System.Net.Http;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Appliance.Tests;

/// <summary>
/// The real `appliance` executable (the build output beside the tests, run with `dotnet`) as a child
/// process: started on an ephemeral loopback port, talked to over TLS that trusts only its own CA, and
/// stopped with SIGTERM as systemd would.
/// </summary>
public sealed partial class ApplianceProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ApplianceProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public string DataDir { get; private set; } = "";

    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _errors);
            }
        }
    }

    public X509Certificate2 CertificateAuthority => X509CertificateLoader.LoadCertificateFromFile(Path.Combine(DataDir, "tls", "ca.crt"));

    /// <summary>Starts `appliance server` on 127.0.0.1 (port 0: any free one) and waits until it logs where it listens.</summary>
    public static async Task<ApplianceProcess> StartServerAsync(string dataDir, IEnumerable<string>? extraArguments = null, IDictionary<string, string>? environment = null, int port = 0)
    {
        var arguments = new List<string> { "server", "--listen", $"127.0.0.1:{port}", "--data-dir", dataDir };
        arguments.AddRange(extraArguments ?? []);
        ApplianceProcess server = Start(arguments, environment);
        server.DataDir = dataDir;
        return await server.ListeningAsync();
    }

    /// <summary>
    /// Starts a command that ends in `appliance server` (such as an installed unit's ExecStart run by a sandbox
    /// harness that execs into it) and waits (bounded) until it listens.
    /// </summary>
    public static Task<ApplianceProcess> StartListeningAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName);
        start.Environment.Remove("NOTIFY_SOCKET");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Launch(start).ListeningAsync();
    }

    /// <summary>This process once it prints its listening line; stopped, with its output in the failure, when it exits or takes too long.</summary>
    private async Task<ApplianceProcess> ListeningAsync()
    {
        Task finished = _process.WaitForExitAsync();
        Task first = await Task.WhenAny(_listening.Task, finished, Task.Delay(StartTimeout));
        if (first != _listening.Task)
        {
            string why = first == finished ? $"exited with {_process.ExitCode}" : "did not start in time";
            await DisposeAsync();
            throw new InvalidOperationException($"appliance server {why}.\nstdout:\n{Output}\nstderr:\n{Errors}");
        }

        BaseAddress = await _listening.Task;
        return this;
    }

    /// <summary>Waits for two servers started together; when either fails, the other is stopped before the failure goes on.</summary>
    public static async Task<(ApplianceProcess First, ApplianceProcess Second)> BothStartedAsync(Task<ApplianceProcess> first, Task<ApplianceProcess> second)
    {
        try
        {
            await Task.WhenAll(first, second);
        }
        catch
        {
            foreach (Task<ApplianceProcess> started in new[] { first, second })
            {
                if (started.IsCompletedSuccessfully)
                {
                    await (await started).DisposeAsync();
                }
            }

            throw;
        }

        return (await first, await second);
    }

    /// <summary>Starts a long-running verb that serves no port (`appliance agent`); its output is read as it comes.</summary>
    public static ApplianceProcess StartVerb(params string[] arguments) => Start(arguments, null);

    /// <summary>Waits (bounded) until a line of the output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (Environment.TickCount64 > deadline || _process.HasExited)
            {
                throw new TimeoutException($"no output line with '{text}' (exited: {_process.HasExited}).\nstdout:\n{Output}\nstderr:\n{Errors}");
            }

            await Task.Delay(50);
        }
    }

    public const int SigKill = 9;

    /// <summary>A loopback port free right now, for a server that must come back on the same address after a restart.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs an `appliance` command to completion (bounded) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] arguments)
    {
        await using ApplianceProcess run = Start(arguments, null);
        using var timeout = new CancellationTokenSource(StartTimeout);
        await run._process.WaitForExitAsync(timeout.Token);
        return (run._process.ExitCode, run.Output, run.Errors);
    }

    /// <summary>
    /// Starts a verb in a private mount namespace after <paramref name="setup"/> (a shell script run as root there),
    /// e.g. to give it the files a pod has, such as a service account's, without touching the host's.
    /// </summary>
    public static ApplianceProcess StartVerbInMountNamespace(string setup, IDictionary<string, string> environment, params string[] arguments)
        => Start(arguments, environment, setup);

    private static ApplianceProcess Start(IEnumerable<string> arguments, IDictionary<string, string>? environment, string? mountNamespaceSetup = null)
    {
        var start = new ProcessStartInfo(mountNamespaceSetup is null ? "dotnet" : "unshare");
        if (mountNamespaceSetup is not null)
        {
            foreach (string argument in new[] { "--mount", "--propagation", "private", "bash", "-euc", mountNamespaceSetup + "\nexec dotnet \"$@\"", "bash" })
            {
                start.ArgumentList.Add(argument);
            }
        }

        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "appliance.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A test run under systemd must not have its servers report to the test runner's unit; a test that wants them to sets its own.
        start.Environment.Remove("NOTIFY_SOCKET");
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return Launch(start);
    }

    /// <summary>Starts <paramref name="start"/> with its output read as it comes and a stdin of its own.</summary>
    private static ApplianceProcess Launch(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        var process = new Process { StartInfo = start };
        var appliance = new ApplianceProcess(process);
        process.OutputDataReceived += (_, line) => appliance.OnOutput(line.Data, appliance._output);
        process.ErrorDataReceived += (_, line) => appliance.OnOutput(line.Data, appliance._errors);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return appliance;
    }

    private void OnOutput(string? line, List<string> sink)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            sink.Add(line);
        }

        Match listening = ListeningLine().Match(line);
        if (listening.Success)
        {
            _listening.TrySetResult(new Uri(listening.Groups[1].Value));
        }
    }

    /// <summary>An HTTP client that trusts this server's CA and nothing else: a handshake proves the chain.</summary>
    public HttpClient CreateClient(Action<X509Certificate2>? onServerCertificate = null)
    {
        X509Certificate2 ca = CertificateAuthority;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    var served = new X509Certificate2(certificate);
                    onServerCertificate?.Invoke(served);
                    // Hostname is checked as well: the client connects to 127.0.0.1, which must be a SAN.
                    return chain.Build(served) && served.MatchesHostname(BaseAddress.Host);
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public const int SigInt = 2;
    public const int SigTerm = 15;

    /// <summary>Sends SIGTERM (or <paramref name="signal"/>) and waits (bounded) for the process to exit; returns its exit code.</summary>
    public async Task<int> TerminateAsync(int signal = SigTerm)
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, signal);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        // WaitForExitAsync returns once the pipes are drained too, so Output is complete here.
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [GeneratedRegex(@"Listening on (https://\S+)")]
    private static partial Regex ListeningLine();
}
