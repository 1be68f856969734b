using System.Globalization;
using Appliance.Auth;

namespace Appliance.Api.Security;

/// <summary>
/// The lifetime a new token gets, from Rancher's Settings (<see cref="TokenLifetimes"/> names them), read at each
/// issue so a changed Setting applies to the next token: a session <c>auth-user-session-ttl-minutes</c> (960), a
/// kubeconfig <c>kubeconfig-default-token-ttl-minutes</c> (43200; 0 never expires), an API key what its creator
/// asks (none: never expires), each capped at <c>auth-token-max-ttl-minutes</c> (129600; 0 no cap), as Rancher
/// clamps a requested ttl above it. An empty Setting is its default; the write rules refuse anything else that is
/// not a whole number of minutes (<see cref="Problem"/>), and a stored value that still does not parse is ignored
/// for the default.
/// </summary>
public static class TokenPolicy
{
    public const string Session = "session";
    public const string Kubeconfig = "kubeconfig";
    public const string ApiKey = "apikey";

    /// <summary>A hundred years: longer is not a lifetime, and keeps now + lifetime far inside DateTimeOffset.</summary>
    public const int MaximumMinutes = 100 * 366 * 24 * 60;

    /// <summary>The lifetime of a new token of <paramref name="type"/>; null when it never expires.</summary>
    public static TimeSpan? Lifetime(ResourceEngine engine, string type, TimeSpan? requested)
    {
        ArgumentNullException.ThrowIfNull(engine);
        TimeSpan? defaultLifetime = type switch
        {
            Session => Minutes(engine, TokenLifetimes.SessionSetting) ?? TokenLifetimes.Session,
            Kubeconfig => Minutes(engine, TokenLifetimes.KubeconfigSetting) is { } minutes ? NoneIfZero(minutes) : TokenLifetimes.Kubeconfig,
            _ => null,
        };
        TimeSpan? maximum = Minutes(engine, TokenLifetimes.MaximumSetting) is { } cap ? NoneIfZero(cap) : TokenLifetimes.Maximum;
        return TokenLifetimes.Clamp(requested, defaultLifetime, maximum);
    }

    /// <summary>
    /// A <c>ttl</c> a client asked for, in Rancher's milliseconds; null for none (0 or less). Held to a hundred years,
    /// so no number a client sends overflows a lifetime or an expiry.
    /// </summary>
    public static TimeSpan? Requested(long milliseconds)
        => milliseconds <= 0 ? null : TimeSpan.FromMinutes(Math.Min(milliseconds / 60_000.0, MaximumMinutes));

    /// <summary>What is wrong with <paramref name="value"/> for the Setting <paramref name="name"/>; null when it is fine or not a token Setting.</summary>
    public static string? Problem(string? name, string? value)
    {
        if (name is not (TokenLifetimes.SessionSetting or TokenLifetimes.KubeconfigSetting or TokenLifetimes.MaximumSetting) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        bool zeroAllowed = name != TokenLifetimes.SessionSetting;
        return Parse(value) is int minutes && (minutes > 0 || zeroAllowed)
            ? null
            : $"must be a whole number of minutes from {(zeroAllowed ? 0 : 1)} to {MaximumMinutes}{(zeroAllowed ? " (0: no limit)" : "")}, or empty for the default";
    }

    private static TimeSpan? Minutes(ResourceEngine engine, string setting)
    {
        ResourceDefinition settings = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "settings")!;
        string? value = FieldRules.Text(engine.Find(settings, null, setting)?["value"]);
        if (string.IsNullOrEmpty(value) || Problem(setting, value) is not null)
        {
            return null;
        }

        return TimeSpan.FromMinutes(Parse(value)!.Value);
    }

    private static int? Parse(string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int minutes) && minutes <= MaximumMinutes ? minutes : null;

    private static TimeSpan? NoneIfZero(TimeSpan lifetime) => lifetime == TimeSpan.Zero ? null : lifetime;
}
