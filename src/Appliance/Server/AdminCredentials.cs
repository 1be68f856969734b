using System.Net;
using System.Text;
using Appliance.Api.Security;
using Appliance.Auth;
using Appliance.Tls;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Server;

/// <summary>
/// The admin's credentials in the data dir once the server is up: <c>admin.kubeconfig</c> (0600), as k3s
/// writes <c>k3s.yaml</c> (the server's address, its CA and a token of the admin user), and on the very
/// first start <c>bootstrap-password</c> (0600), the admin's first password for the login API. The
/// password is never logged, only where it is.
/// </summary>
/// <remarks>
/// Rewritten on every start once the listener is bound (the port may differ). The token is kept while it
/// still authenticates as the admin; otherwise (first start, file deleted, token revoked) a new one is
/// issued and earlier admin-kubeconfig tokens are deleted, so deleting the file and restarting rotates it.
/// Only the HMAC of the token is stored; this file is the one place it exists in clear, like k3s's.
/// </remarks>
internal sealed class AdminCredentials(IServiceProvider services, DataDirectory dataDir, ServerCertificates certificates, ILoggerFactory logging) : IHostedLifecycleService
{
    public const string FileName = "admin.kubeconfig";
    public const string BootstrapPasswordFileName = "bootstrap-password";
    private const string TokenLabel = "management.appliance.io/admin-kubeconfig";
    private const string TokenLinePrefix = "    token: ";

    public string Path => System.IO.Path.Combine(dataDir.Path, FileName);

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        SecurityBootstrapper bootstrapper = services.GetRequiredService<SecurityBootstrapper>();
        if (bootstrapper.BootstrapPassword is string password)
        {
            string passwordPath = System.IO.Path.Combine(dataDir.Path, BootstrapPasswordFileName);
            WriteOwnerOnly(passwordPath, password + "\n");
            Log.BootstrapPasswordWritten(logging.CreateLogger("Appliance"), passwordPath);
        }

        string adminUserId = bootstrapper.AdminUserId;
        string? token = ReadToken();
        if (token is null
            || services.GetRequiredService<TokenAuthenticator>().Authenticate(token, out AuthenticatedUser? user) != TokenAuthenticationStatus.Authenticated
            || user!.UserId != adminUserId)
        {
            await services.GetRequiredService<TokenIssuer>().RevokeLabelledAsync(TokenLabel).ConfigureAwait(false);
            token = (await services.GetRequiredService<TokenIssuer>().IssueAsync(adminUserId, "kubeconfig", "admin kubeconfig written at start", lifetime: null,
                new Dictionary<string, string> { [TokenLabel] = "true" }).ConfigureAwait(false)).ToString();
            Log.AdminKubeconfigIssued(logging.CreateLogger("Appliance"), Path);
        }

        Write(ServerUrl(), token);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private string? ReadToken()
    {
        try
        {
            foreach (string line in File.ReadLines(Path))
            {
                if (line.StartsWith(TokenLinePrefix, StringComparison.Ordinal))
                {
                    return line[TokenLinePrefix.Length..].Trim();
                }
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
        }

        return null;
    }

    /// <summary>The first bound address; a wildcard bind is reached over loopback from this machine.</summary>
    private string ServerUrl()
    {
        string address = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        string host = uri.Host.Trim('[', ']');
        if (IPAddress.TryParse(host, out IPAddress? ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
        {
            host = "127.0.0.1";
        }
        else if (ip?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            host = "[" + host + "]";
        }

        return $"https://{host}:{uri.Port}";
    }

    private void Write(string server, string token)
    {
        string caData = Convert.ToBase64String(Encoding.ASCII.GetBytes(File.ReadAllText(certificates.CertificateAuthorityPath)));
        string text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: appliance
              cluster:
                server: {server}
                certificate-authority-data: {caData}
            users:
            - name: admin
              user:
            {TokenLinePrefix}{token}
            contexts:
            - name: appliance
              context:
                cluster: appliance
                user: admin
            current-context: appliance

            """;
        WriteOwnerOnly(Path, text);
    }

    /// <summary>Written beside and moved into place: a reader never sees half a file; created 0600, never wider.</summary>
    private static void WriteOwnerOnly(string path, string text)
    {
        string temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }
}
