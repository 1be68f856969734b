namespace Appliance.Server;

/// <summary>What `appliance server` was asked to do, validated.</summary>
public sealed record ServerSettings(ListenAddress Listen, string DataDir, IReadOnlyList<string> TlsSubjectAlternativeNames)
{
    /// <summary>How long in-flight requests get to finish after SIGTERM before the process exits anyway.
    /// systemd's default stop timeout is 90 s; 20 s keeps restarts quick and long watches are resumable.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(20);
}
