namespace Appliance.Auth;

/// <summary>Default token lifetimes, Rancher's: the effective values are Settings.</summary>
public static class TokenLifetimes
{
    /// <summary>A login session (Rancher's auth-user-session-ttl-minutes default, 960 minutes).</summary>
    public static readonly TimeSpan Session = TimeSpan.FromHours(16);

    /// <summary>A token written into a generated kubeconfig (Rancher's kubeconfig-default-token-ttl-minutes).</summary>
    public static readonly TimeSpan Kubeconfig = TimeSpan.FromDays(30);

    /// <summary>No token lives longer than this, whatever its creator asked (Rancher's auth-token-max-ttl-minutes).</summary>
    public static readonly TimeSpan Maximum = TimeSpan.FromDays(90);

    /// <summary>The lifetime to grant: the requested one (or the default) capped at <paramref name="maximum"/>.</summary>
    public static TimeSpan Clamp(TimeSpan? requested, TimeSpan defaultLifetime, TimeSpan maximum)
    {
        var lifetime = requested is { } value && value > TimeSpan.Zero ? value : defaultLifetime;
        return lifetime > maximum ? maximum : lifetime;
    }
}
