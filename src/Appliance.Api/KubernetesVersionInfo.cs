namespace Appliance.Api;

/// <summary>
/// The <c>version.Info</c> document kube-apiserver serves at <c>/version</c>. kubectl's dispatcher picks
/// the client binary from <see cref="GitVersion"/>, so it must stay a 1.32.x version while we target v1.32.
/// </summary>
public sealed class KubernetesVersionInfo
{
    public required string Major { get; init; }

    public required string Minor { get; init; }

    public required string GitVersion { get; init; }

    public required string GitCommit { get; init; }

    public string GitTreeState { get; init; } = "clean";

    public required string BuildDate { get; init; }

    public required string GoVersion { get; init; }

    public string Compiler { get; init; } = "dotnet";

    public required string Platform { get; init; }
}
