using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Appliance;

/// <summary>What this binary is: served at /version and printed by `appliance version`.</summary>
public sealed record BuildInfo(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("commit")] string Commit,
    [property: JsonPropertyName("buildDate")] string BuildDate,
    [property: JsonPropertyName("os")] string OS,
    [property: JsonPropertyName("arch")] string Arch)
{
    public static BuildInfo Current { get; } = Read();

    public override string ToString() => $"appliance {Version} (commit {Commit}, built {BuildDate}, {OS}/{Arch})";

    private static BuildInfo Read()
    {
        Assembly assembly = typeof(BuildInfo).Assembly;
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        // The SDK appends "+<source revision>" when it knows one; our commit is reported on its own.
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            version = version[..plus];
        }

        string commit = "unknown";
        string buildDate = "unknown";
        foreach (AssemblyMetadataAttribute metadata in assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
        {
            if (metadata.Key == "Commit" && !string.IsNullOrEmpty(metadata.Value))
            {
                commit = metadata.Value;
            }
            else if (metadata.Key == "BuildDate" && !string.IsNullOrEmpty(metadata.Value))
            {
                buildDate = metadata.Value;
            }
        }

        // Go's names (amd64, arm64), as kubectl and Kubernetes' /version use them.
        string arch = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            var other => other.ToString().ToLowerInvariant(),
        };
        string os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "darwin" : OperatingSystem.IsWindows() ? "windows" : "unknown";
        return new BuildInfo(version, commit, buildDate, os, arch);
    }
}
