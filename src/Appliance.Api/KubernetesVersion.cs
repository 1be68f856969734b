using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

/// <summary>
/// The Kubernetes-shaped version document (<c>version.Info</c>). The Kubernetes version we claim is fixed
/// at the API level we implement (1.32): kubectl's dispatcher on these machines switches to a kubectl
/// matching the server's gitVersion, and client behaviour depends on it. The appliance's own version
/// rides in the gitVersion's pre-release part, so it is visible in <c>kubectl version</c>.
/// </summary>
public static class KubernetesVersion
{
    public const string Major = "1";
    public const string Minor = "32";
    public const string GitVersion = "v1.32.0";

    /// <summary>
    /// The document for an appliance build; the executable passes its stamped build info (it owns the
    /// assembly metadata), e.g. <c>Create("0.1.0", commit, buildDate)</c> gives <c>v1.32.0-appliance.0.1.0</c>.
    /// </summary>
    public static KubernetesVersionInfo Create(string applianceVersion, string gitCommit, string buildDate)
    {
        ArgumentNullException.ThrowIfNull(applianceVersion);
        string architecture = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "arm64",
            Architecture other => other.ToString().ToLowerInvariant(),
        };
        return new KubernetesVersionInfo
        {
            Major = Major,
            Minor = Minor,
            GitVersion = GitVersion + "-appliance." + applianceVersion,
            GitCommit = gitCommit,
            BuildDate = buildDate,
            GoVersion = "dotnet" + Environment.Version,
            Platform = "linux/" + architecture,
        };
    }

    /// <summary>A handler the host can map at <c>/version</c> (this library does not map it).</summary>
    public static RequestDelegate Handler(KubernetesVersionInfo info)
        => context => JsonResponses.WriteAsync(context, info, ApiJsonContext.Default.KubernetesVersionInfo);
}
