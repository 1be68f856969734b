namespace Appliance.Tests;

/// <summary>One `appliance server` process shared by a test class: starting one costs about a second.</summary>
public sealed class RunningServer : IAsyncLifetime
{
    public const string ExtraDnsName = "appliance.example.test";
    public const string ExtraIPAddress = "10.11.12.13";

    private readonly TemporaryDirectory _dataDir = new();

    public ApplianceProcess Process { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Process = await ApplianceProcess.StartServerAsync(_dataDir.Path, ["--tls-san", ExtraDnsName, "--tls-san", ExtraIPAddress]);

    public async Task DisposeAsync()
    {
        await Process.DisposeAsync();
        _dataDir.Dispose();
    }
}
