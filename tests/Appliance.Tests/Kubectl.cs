using System.Diagnostics;

namespace Appliance.Tests;

/// <summary>The real kubectl (v1.32 on these machines), bounded in time; its process tree is killed on timeout.</summary>
internal static class Kubectl
{
    public const string Path = "/usr/bin/kubectl";

    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string kubeconfig, string home, string arguments)
    {
        using Process process = Process.Start(StartInfo(kubeconfig, home, $"--request-timeout=20s {arguments}"))!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {arguments} did not finish in time");
        }

        return (process.ExitCode, await output, await errors);
    }

    /// <summary>kubectl with its output redirected and <c>HOME</c> (its cache) in <paramref name="home"/>.</summary>
    public static ProcessStartInfo StartInfo(string kubeconfig, string home, string arguments)
    {
        var start = new ProcessStartInfo(Path, $"--kubeconfig {kubeconfig} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["HOME"] = home;
        return start;
    }
}
