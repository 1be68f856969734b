using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Appliance.Tests;

public class ServerLifecycleTests
{
    private static string Thumbprint(string dataDir, string file) =>
        X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dataDir, "tls", file)).Thumbprint;

    [Fact]
    public async Task Restart_ReusesTheCaAndTheServingCertificate()
    {
        using var dataDir = new TemporaryDirectory();
        await using (ApplianceProcess first = await ApplianceProcess.StartServerAsync(dataDir.Path))
        {
            Assert.Equal(0, await first.TerminateAsync());
            Assert.Contains("Created a new certificate authority", first.Output, StringComparison.Ordinal);
        }

        string ca = Thumbprint(dataDir.Path, "ca.crt");
        string serving = Thumbprint(dataDir.Path, "serving.crt");

        await using ApplianceProcess second = await ApplianceProcess.StartServerAsync(dataDir.Path);
        using (var client = second.CreateClient())
        {
            Assert.Equal("ok", await client.GetStringAsync("/readyz"));
        }

        Assert.Equal(ca, Thumbprint(dataDir.Path, "ca.crt"));
        Assert.Equal(serving, Thumbprint(dataDir.Path, "serving.crt"));
        Assert.DoesNotContain("Created a new certificate authority", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Issued a serving certificate", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_WithANewTlsSan_ReissuesTheServingCertificateUnderTheSameCa()
    {
        using var dataDir = new TemporaryDirectory();
        await using (ApplianceProcess first = await ApplianceProcess.StartServerAsync(dataDir.Path))
        {
            Assert.Equal(0, await first.TerminateAsync());
        }

        string ca = Thumbprint(dataDir.Path, "ca.crt");
        string serving = Thumbprint(dataDir.Path, "serving.crt");

        await using ApplianceProcess second = await ApplianceProcess.StartServerAsync(dataDir.Path, ["--tls-san", "added.example.test"]);
        Assert.Contains("missing added.example.test", second.Output, StringComparison.Ordinal);
        Assert.Equal(ca, Thumbprint(dataDir.Path, "ca.crt"));
        Assert.NotEqual(serving, Thumbprint(dataDir.Path, "serving.crt"));
        using var client = second.CreateClient();
        Assert.Equal("ok", await client.GetStringAsync("/readyz"));
    }

    [Fact]
    public async Task CaCertificateWithoutItsKey_RefusesToStartRatherThanReplacingTheCa()
    {
        using var dataDir = new TemporaryDirectory();
        await using (ApplianceProcess first = await ApplianceProcess.StartServerAsync(dataDir.Path))
        {
            Assert.Equal(0, await first.TerminateAsync());
        }

        File.Delete(Path.Combine(dataDir.Path, "tls", "ca.key"));
        (int exitCode, _, string errors) = await ApplianceProcess.RunAsync("server", "--listen", "127.0.0.1:0", "--data-dir", dataDir.Path);

        Assert.Equal(1, exitCode);
        Assert.Single(errors.TrimEnd('\n').Split('\n'));
        Assert.Contains("ca.key", errors, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dataDir.Path, "tls", "ca.crt")));
    }

    [Theory]
    [InlineData(ApplianceProcess.SigTerm)]
    [InlineData(ApplianceProcess.SigInt)]
    public async Task SigtermOrCtrlC_StopsGracefullyWithExitCodeZero(int signal)
    {
        using var dataDir = new TemporaryDirectory();
        await using ApplianceProcess server = await ApplianceProcess.StartServerAsync(dataDir.Path);

        int exitCode = await server.TerminateAsync(signal);

        Assert.Equal(0, exitCode);
        Assert.Contains("Shutting down", server.Output, StringComparison.Ordinal);
        Assert.Contains("Stopped", server.Output, StringComparison.Ordinal);
        Assert.Contains("Store closed", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortInUse_ExitsOneWithOneReadableLine()
    {
        using var dataDir = new TemporaryDirectory();
        await using ApplianceProcess server = await ApplianceProcess.StartServerAsync(dataDir.Path);

        (int exitCode, _, string errors) = await ApplianceProcess.RunAsync(
            "server", "--listen", $"127.0.0.1:{server.BaseAddress.Port}", "--data-dir", dataDir.Path);

        Assert.Equal(1, exitCode);
        string line = Assert.Single(errors.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("appliance: ", line, StringComparison.Ordinal);
        Assert.Contains("address already in use", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task NotifySocket_ReceivesReadyWhenServingAndStoppingOnSigterm()
    {
        using var dataDir = new TemporaryDirectory();
        string socketPath = Path.Combine(dataDir.Path, "notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        await using ApplianceProcess server = await ApplianceProcess.StartServerAsync(
            Path.Combine(dataDir.Path, "data"), environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });

        Assert.Equal("READY=1", await ReceiveAsync(socket));
        using (var client = server.CreateClient())
        {
            // READY=1 is a promise: by then the server answers.
            Assert.Equal("ok", await client.GetStringAsync("/readyz"));
        }

        Assert.Equal(0, await server.TerminateAsync());
        Assert.Equal("STOPPING=1", await ReceiveAsync(socket));
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, received);
    }
}
