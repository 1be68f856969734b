using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Server;
using k8s;

namespace Appliance.User;

/// <summary>
/// A verb's connection to the running server's API: <c>--server</c> and <c>--token</c> (trusting
/// <c>--certificate-authority</c>, or the system's CAs), or on the server's host the admin of
/// <c>DATA_DIR/admin.kubeconfig</c> (its address, CA and token), as <c>appliance kubeconfig</c> does.
/// JSON in and out as <see cref="JsonNode"/> (no reflection); an answer outside 2xx is an
/// <see cref="ApiCallException"/> carrying the server's own message.
/// </summary>
internal sealed class ApiConnection : IDisposable
{
    private readonly HttpClient _http;

    private ApiConnection(HttpClient http) => _http = http;

    public static ApiConnection Open(ParseResult parsed, ApiConnectionOptions options)
    {
        Uri? server = parsed.GetValue(options.Server);
        string? token = parsed.GetValue(options.Token);
        if ((server is null) != (token is null))
        {
            throw new CommandLineUsageException("--server and --token go together.");
        }

        X509Certificate2Collection? trusted = null;
        if (server is null)
        {
            string adminConfig = Path.Combine(parsed.GetRequiredValue(options.DataDir), "admin.kubeconfig");
            if (!File.Exists(adminConfig))
            {
                throw new CommandLineUsageException($"{adminConfig} does not exist: give --server and --token, or the server's --data-dir.");
            }

            KubernetesClientConfiguration admin;
            try
            {
                admin = KubernetesClientConfiguration.BuildConfigFromConfigFile(adminConfig);
            }
            catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"cannot read {adminConfig}: {e.Message}", e);
            }

            server = new Uri(admin.Host);
            token = admin.AccessToken;
            trusted = admin.SslCaCerts;
        }
        else if (parsed.GetValue(options.CertificateAuthority) is { } caFile)
        {
            if (!File.Exists(caFile))
            {
                throw new CommandLineUsageException($"--certificate-authority: {caFile} does not exist.");
            }

            trusted = [];
            trusted.ImportFromPemFile(caFile);
        }

        var handler = new SocketsHttpHandler();
        if (trusted is { Count: > 0 })
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck },
            };
            handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
        }

        var http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ApiConnection(http);
    }

    public Task<JsonNode?> GetAsync(string path, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, path, null, null, cancellationToken);

    public Task<JsonNode?> PostAsync(string path, JsonNode body, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, path, body, "application/json", cancellationToken);

    public Task<JsonNode?> MergePatchAsync(string path, JsonNode body, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Patch, path, body, "application/merge-patch+json", cancellationToken);

    public Task<JsonNode?> DeleteAsync(string path, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Delete, path, null, null, cancellationToken);

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, string? contentType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType!);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"cannot reach the server at {_http.BaseAddress}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"the server at {_http.BaseAddress} did not answer in time", e);
        }

        using (response)
        {
            string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonNode? answer = null;
            try
            {
                answer = text.Length == 0 ? null : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
            }

            if (!response.IsSuccessStatusCode)
            {
                // A Kubernetes Status and a Rancher v3 error both say it in "message".
                string message = answer is JsonObject error && error["message"] is JsonValue value && value.TryGetValue(out string? said) && said.Length > 0
                    ? said
                    : $"HTTP {(int)response.StatusCode}";
                throw new ApiCallException(response.StatusCode, message);
            }

            return answer;
        }
    }

    public void Dispose() => _http.Dispose();
}
