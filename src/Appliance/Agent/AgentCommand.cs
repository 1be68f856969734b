using System.CommandLine;
using Appliance.Clusters.Agent;
using Appliance.Clusters.Tunnel;
using Appliance.Proxy;
using Microsoft.Extensions.Logging;

namespace Appliance.Agent;

/// <summary>`appliance agent`: connects a downstream cluster to the server (<see cref="AgentRunner"/>).</summary>
internal static class AgentCommand
{
    public static Command Build()
    {
        var server = new Option<Uri>("--server")
        {
            Description = "The Appliance server's URL, e.g. https://appliance.example:8443.",
            HelpName = "url",
            Required = true,
            CustomParser = HttpsUrl.Parse,
        };
        var token = new Option<string>("--token")
        {
            Description = "The cluster's registration token (CLUSTER:SECRET), as the registration manifest holds it.",
            HelpName = "token",
            Required = true,
        };
        var kubeconfig = new Option<string?>("--kubeconfig")
        {
            Description = "The downstream cluster's kubeconfig; inside the cluster, leave it out (the pod's service account is used).",
            HelpName = "file",
        };
        var caChecksum = new Option<string?>("--ca-checksum")
        {
            Description = "SHA-256 (hex) of the server's CA certificate: the agent trusts exactly that CA. Without it, the system's CAs.",
            HelpName = "sha256",
        };
        caChecksum.Validators.Add(static result =>
        {
            string value = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (value.Length != 64 || !value.All(Uri.IsHexDigit))
            {
                result.AddError("--ca-checksum: expected 64 hexadecimal digits (SHA-256).");
            }
        });

        var command = new Command("agent", "Connect a downstream Kubernetes cluster to the server through an outbound tunnel.")
        {
            server,
            token,
            kubeconfig,
            caChecksum,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string? kubeconfigPath = parsed.GetValue(kubeconfig);
            if (kubeconfigPath is not null && !File.Exists(kubeconfigPath))
            {
                throw new CommandLineUsageException($"--kubeconfig: {kubeconfigPath} does not exist.");
            }

            var options = new AgentOptions
            {
                Server = parsed.GetRequiredValue(server),
                Token = parsed.GetRequiredValue(token),
                KubeconfigPath = kubeconfigPath,
                CaChecksum = parsed.GetValue(caChecksum),
            };
            // The relay only awaits; its continuations may run on the socket threads (no thread-pool hop per frame).
            SocketThreadScheduling.UseInlineSocketCompletions();
            using ILoggerFactory logging = LoggerFactory.Create(Logging.Configure);
            var runner = new AgentRunner(options, new TunnelOptions(), logging.CreateLogger("Appliance.Agent"), TimeProvider.System);
            await runner.RunAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
