namespace Appliance.Auth;

/// <summary>
/// Token lifetimes, Rancher's: the defaults here, the effective values the Settings named here (read at each issue,
/// so a change applies to the next token without a restart). A null lifetime is a token that never expires.
/// </summary>
public static class TokenLifetimes
{
    /// <summary>The Setting for a login session's lifetime, in minutes.</summary>
    public const string SessionSetting = "auth-user-session-ttl-minutes";

    /// <summary>The Setting for a kubeconfig token's default lifetime, in minutes; 0: it does not expire (up to the maximum).</summary>
    public const string KubeconfigSetting = "kubeconfig-default-token-ttl-minutes";

    /// <summary>The Setting for the longest lifetime any token gets, in minutes; 0: no maximum.</summary>
    public const string MaximumSetting = "auth-token-max-ttl-minutes";

    /// <summary>A login session (Rancher's auth-user-session-ttl-minutes default, 960 minutes).</summary>
    public static readonly TimeSpan Session = TimeSpan.FromHours(16);

    /// <summary>A token written into a generated kubeconfig (Rancher's kubeconfig-default-token-ttl-minutes, 43200).</summary>
    public static readonly TimeSpan Kubeconfig = TimeSpan.FromDays(30);

    /// <summary>No token lives longer than this, whatever its creator asked (Rancher's auth-token-max-ttl-minutes, 129600).</summary>
    public static readonly TimeSpan Maximum = TimeSpan.FromDays(90);

    /// <summary>
    /// The lifetime to grant: the requested one (or the default) capped at <paramref name="maximum"/>. Null
    /// (never expires) only when neither a lifetime nor a maximum applies.
    /// </summary>
    public static TimeSpan? Clamp(TimeSpan? requested, TimeSpan? defaultLifetime, TimeSpan? maximum)
    {
        TimeSpan? lifetime = requested is { } value && value > TimeSpan.Zero ? value : defaultLifetime;
        if (maximum is not { } cap)
        {
            return lifetime;
        }

        return lifetime is not { } granted || granted > cap ? cap : granted;
    }
}
