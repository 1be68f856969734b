using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Appliance.Server;
using k8s;

namespace Appliance.Kubeconfig;

/// <summary>
/// `appliance kubeconfig`: asks the server for a kubeconfig (its <c>generateKubeconfig</c> action) that reaches a
/// cluster, or every cluster the caller may use, through the proxy, with a fresh 30-day token of the caller.
/// The caller is the holder of <c>--token</c>, or on the server's host the admin of <c>DATA_DIR/admin.kubeconfig</c>.
/// </summary>
internal static class KubeconfigCommand
{
    public static Command Build()
    {
        var cluster = new Option<string?>("--cluster") { Description = "The cluster id; without it, one context per cluster you may reach.", HelpName = "id" };
        var server = new Option<Uri?>("--server") { Description = "The server's URL (with --token); without it, DATA_DIR/admin.kubeconfig is used.", HelpName = "url", CustomParser = HttpsUrl.Parse };
        var token = new Option<string?>("--token") { Description = "Your API token (token-xxxxx:SECRET), e.g. from a login.", HelpName = "token" };
        var certificateAuthority = new Option<string?>("--certificate-authority") { Description = "PEM file of the server's CA (with --server); default: the system's CAs.", HelpName = "file" };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "The server's data directory, for admin.kubeconfig when --server is not given.",
            HelpName = "path",
            DefaultValueFactory = _ => DataDirectory.DefaultPath,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Write the kubeconfig to this file (mode 0600) instead of stdout.", HelpName = "file" };

        var command = new Command("kubeconfig", "Get a kubeconfig that reaches downstream clusters through this server's proxy.")
        {
            cluster,
            server,
            token,
            certificateAuthority,
            dataDir,
            output,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            Uri? serverUrl = parsed.GetValue(server);
            string? bearer = parsed.GetValue(token);
            if ((serverUrl is null) != (bearer is null))
            {
                throw new CommandLineUsageException("--server and --token go together.");
            }

            X509Certificate2Collection? trusted = null;
            if (serverUrl is null)
            {
                string adminConfig = Path.Combine(parsed.GetRequiredValue(dataDir), "admin.kubeconfig");
                if (!File.Exists(adminConfig))
                {
                    throw new CommandLineUsageException($"{adminConfig} does not exist: give --server and --token, or the server's --data-dir.");
                }

                KubernetesClientConfiguration admin = KubernetesClientConfiguration.BuildConfigFromConfigFile(adminConfig);
                serverUrl = new Uri(admin.Host);
                bearer = admin.AccessToken;
                trusted = admin.SslCaCerts;
            }
            else if (parsed.GetValue(certificateAuthority) is { } caFile)
            {
                trusted = [];
                trusted.ImportFromPemFile(caFile);
            }

            string config = await RequestAsync(serverUrl, bearer!, trusted, parsed.GetValue(cluster), cancellationToken);
            if (parsed.GetValue(output) is { } path)
            {
                // Owner-only from the first byte: it holds a token.
                var ownerOnly = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
                await using (var file = new StreamWriter(path, ownerOnly))
                {
                    await file.WriteAsync(config.AsMemory(), cancellationToken);
                }

                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            else
            {
                await parsed.InvocationConfiguration.Output.WriteAsync(config);
            }

            return 0;
        });
        return command;
    }

    private static async Task<string> RequestAsync(Uri server, string token, X509Certificate2Collection? trusted, string? clusterId, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler();
        if (trusted is { Count: > 0 })
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck },
            };
            handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
        }

        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        string path = clusterId is null ? "/v3/clusters?action=generateKubeconfig" : $"/v3/clusters/{Uri.EscapeDataString(clusterId)}?action=generateKubeconfig";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? answer = null;
        try
        {
            answer = JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        if (!response.IsSuccessStatusCode || answer?["config"]?.GetValue<string>() is not { } config)
        {
            string reason = answer?["message"]?.GetValue<string>() ?? $"HTTP {(int)response.StatusCode}";
            throw new InvalidOperationException($"the server refused: {reason}");
        }

        return config;
    }
}
