namespace Appliance.Clusters.Agent;

/// <summary>The command line of <c>appliance agent</c>.</summary>
public sealed class AgentOptions
{
    /// <summary>The server's base URL, e.g. <c>https://appliance.example:8443</c>.</summary>
    public required Uri Server { get; init; }

    /// <summary>The cluster's registration token (<c>CLUSTER:SECRET</c>).</summary>
    public required string Token { get; init; }

    /// <summary>Where the downstream cluster's credentials are; null inside the cluster (its service account).</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>SHA-256 (hex) of the server's CA PEM, as the registration manifest gives it; null trusts the system's CAs.</summary>
    public string? CaChecksum { get; init; }

    /// <summary>The first reconnect delay; it doubles (with jitter) up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Lifetime asked for the short-lived service-account tokens; they are renewed at two thirds of it.</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(1);
}
