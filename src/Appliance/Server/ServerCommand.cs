using System.CommandLine;
using System.CommandLine.Parsing;

namespace Appliance.Server;

/// <summary>`appliance server`: options, their validation, and the hand-off to <see cref="ApplianceServer"/>.</summary>
internal static class ServerCommand
{
    public static Command Build()
    {
        var listen = new Option<ListenAddress>("--listen")
        {
            Description = "HOST:PORT or :PORT to serve HTTPS on (port 0: any free port).",
            HelpName = "address",
            DefaultValueFactory = _ => ListenAddress.Default,
            CustomParser = ParseListen,
        };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Where state, keys and certificates live (as a service: /var/lib/appliance).",
            HelpName = "path",
            DefaultValueFactory = _ => DataDirectory.DefaultPath,
        };
        var tlsSans = new Option<string[]>("--tls-san")
        {
            Description = "An extra DNS name or IP address for the serving certificate (repeatable).",
            HelpName = "name",
            Arity = ArgumentArity.ZeroOrMore,
        };
        tlsSans.Validators.Add(ValidateSubjectAlternativeNames);

        var command = new Command("server", "Run the Appliance server: HTTPS API, auth proxy and controllers.")
        {
            listen,
            dataDir,
            tlsSans,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            var settings = new ServerSettings(
                parsed.GetRequiredValue(listen),
                parsed.GetRequiredValue(dataDir),
                parsed.GetValue(tlsSans) ?? []);
            return ApplianceServer.RunAsync(settings, cancellationToken);
        });
        return command;
    }

    private static ListenAddress ParseListen(ArgumentResult result)
    {
        string value = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (!ListenAddress.TryParse(value, out ListenAddress address, out string error))
        {
            result.AddError($"--listen: {error}");
        }

        return address;
    }

    private static void ValidateSubjectAlternativeNames(OptionResult result)
    {
        foreach (Token token in result.Tokens)
        {
            string name = token.Value.StartsWith("*.", StringComparison.Ordinal) ? token.Value[2..] : token.Value;
            if (Uri.CheckHostName(name) == UriHostNameType.Unknown)
            {
                result.AddError($"--tls-san: '{token.Value}' is not a DNS name or an IP address.");
            }
        }
    }
}
