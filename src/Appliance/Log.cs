using Microsoft.Extensions.Logging;

namespace Appliance;

/// <summary>The executable's own events (EventIds 1-99); each part logs through its own Log class.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Listening on {Address}", EventName = "Listening")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(2, LogLevel.Information, "Appliance {Version} is ready at {Url} (clients trust the CA in {CertificateAuthorityPath})", EventName = "Ready")]
    public static partial void Ready(ILogger logger, string version, string url, string certificateAuthorityPath);

    [LoggerMessage(3, LogLevel.Information, "Shutting down: finishing in-flight requests (at most {TimeoutSeconds} s)", EventName = "ShuttingDown")]
    public static partial void ShuttingDown(ILogger logger, double timeoutSeconds);

    [LoggerMessage(4, LogLevel.Information, "Stopped", EventName = "Stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(5, LogLevel.Information, "Issued a new admin token into {Path}", EventName = "AdminKubeconfigIssued")]
    public static partial void AdminKubeconfigIssued(ILogger logger, string path);

    [LoggerMessage(6, LogLevel.Information, "The admin's first password is in {Path} (sign in with it, then change it)", EventName = "BootstrapPasswordWritten")]
    public static partial void BootstrapPasswordWritten(ILogger logger, string path);

    [LoggerMessage(10, LogLevel.Information, "Created a new certificate authority {Path} (SHA-1 {Thumbprint})", EventName = "CertificateAuthorityCreated")]
    public static partial void CertificateAuthorityCreated(ILogger logger, string path, string thumbprint);

    [LoggerMessage(11, LogLevel.Information, "Issued a serving certificate for {Names} ({Reason})", EventName = "ServingCertificateIssued")]
    public static partial void ServingCertificateIssued(ILogger logger, string names, string reason);

    [LoggerMessage(20, LogLevel.Warning, "Could not notify systemd at {Socket}: {Error}", EventName = "SystemdNotifyFailed")]
    public static partial void SystemdNotifyFailed(ILogger logger, string socket, string error);
}
