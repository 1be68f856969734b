using System.CommandLine;
using System.Text.Json;

namespace Appliance;

/// <summary>`appliance version`: what this binary is, as text or JSON.</summary>
internal static class VersionCommand
{
    public static Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print the version as JSON (the same document as GET /version/appliance)." };
        var command = new Command("version", "Print the version, commit, build date and platform of this binary.") { json };
        command.SetAction(parsed =>
        {
            TextWriter output = parsed.InvocationConfiguration.Output;
            output.WriteLine(parsed.GetValue(json)
                ? JsonSerializer.Serialize(BuildInfo.Current, ApplianceJsonContext.Default.BuildInfo)
                : BuildInfo.Current.ToString());
            return 0;
        });
        return command;
    }
}
