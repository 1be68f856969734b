using System.CommandLine;
using Appliance.Server;

namespace Appliance.User;

/// <summary>The options of every verb that talks to the running server (recursive: given before or after a subcommand).</summary>
internal sealed class ApiConnectionOptions
{
    public Option<Uri?> Server { get; } = new("--server")
    {
        Description = "The server's URL (with --token); without it, DATA_DIR/admin.kubeconfig is used.",
        HelpName = "url",
        CustomParser = HttpsUrl.Parse,
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "An API token (token-xxxxx:SECRET) of a user allowed to manage users.",
        HelpName = "token",
        Recursive = true,
    };

    public Option<string?> CertificateAuthority { get; } = new("--certificate-authority")
    {
        Description = "PEM file of the server's CA (with --server); default: the system's CAs.",
        HelpName = "file",
        Recursive = true,
    };

    public Option<string> DataDir { get; } = new("--data-dir")
    {
        Description = "The server's data directory, for admin.kubeconfig when --server is not given.",
        HelpName = "path",
        DefaultValueFactory = _ => DataDirectory.DefaultPath,
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(Token);
        command.Options.Add(CertificateAuthority);
        command.Options.Add(DataDir);
    }
}
