using System.CommandLine;
using Appliance.Server;

namespace Appliance;

/// <summary>The `appliance` command line: verbs, their help, and the exit-code contract.</summary>
public static class ApplianceCommandLine
{
    /// <summary>Exit code for a bad command line or a bad option value (like BSD's EX_USAGE family, as kubectl does).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code when the command was well formed but failed while running.</summary>
    public const int RuntimeError = 1;

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "Appliance: a Rancher-style management server for many Kubernetes clusters, in one small binary.")
        {
            ServerCommand.Build(),
            Agent.AgentCommand.Build(),
            Kubeconfig.KubeconfigCommand.Build(),
            User.UserCommand.Build(),
            VersionCommand.Build(),
        };
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; never throws, returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        RootCommand root = Build();
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string verb = parsed.CommandResult.Command == root ? "" : " " + parsed.CommandResult.Command.Name;
            string message = parsed.Errors[0].Message;
            if (parsed.CommandResult.Command == root)
            {
                // System.CommandLine reports a missing verb first even when the real mistake is a misspelt one.
                message = parsed.UnmatchedTokens.Count > 0
                    ? $"unknown verb or option '{parsed.UnmatchedTokens[0]}'."
                    : "a verb is required.";
            }
            await error.WriteLineAsync($"appliance: {message} See 'appliance{verb} --help'.");
            return UsageError;
        }

        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // The server does its own graceful shutdown on SIGTERM/SIGINT, bounded by its own timeout;
            // System.CommandLine's handler would cut that short.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parsed.InvokeAsync(invocation, cancellationToken);
        }
        catch (CommandLineUsageException e)
        {
            await error.WriteLineAsync($"appliance: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One readable line; the stack trace helps nobody who runs the binary.
            await error.WriteLineAsync($"appliance: {e.Message}");
            return RuntimeError;
        }
    }
}
