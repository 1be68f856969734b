using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Appliance.Auth;

/// <summary>
/// A stable principal id such as <c>openldap_user://&lt;entryUUID&gt;</c> (DESIGN.md, "Identity").
/// Directory principals are keyed by the directory's immutable id, not the DN, so a user moved to
/// another OU stays the same user. Anything not in the closed list of schemes is rejected.
/// </summary>
public readonly struct PrincipalId : IEquatable<PrincipalId>
{
    private const string Separator = "://";

    private PrincipalId(PrincipalKind kind, string id)
    {
        Kind = kind;
        Id = id;
    }

    public PrincipalKind Kind { get; }

    /// <summary>The provider's id, normalised (GUIDs lower-case, as slapd prints entryUUID).</summary>
    public string Id { get; }

    public bool IsGroup => Kind is PrincipalKind.OpenLdapGroup or PrincipalKind.ActiveDirectoryGroup
        or PrincipalKind.GitHubOrg or PrincipalKind.GitHubTeam;

    public static PrincipalId Create(PrincipalKind kind, string id)
        => TryCreate(kind, id, out var principal)
            ? principal
            : throw new FormatException($"'{id}' is not a valid id for a {SchemeOf(kind)} principal.");

    public static bool TryCreate(PrincipalKind kind, string? id, out PrincipalId principal)
    {
        principal = default;
        if (id is null || NormaliseId(kind, id) is not { } normalised)
        {
            return false;
        }

        principal = new PrincipalId(kind, normalised);
        return true;
    }

    public static PrincipalId Parse(string value)
        => TryParse(value, out var principal)
            ? principal
            : throw new FormatException($"'{value}' is not a principal id (expected e.g. local://u-abcde or openldap_user://<entryUUID>).");

    public static bool TryParse([NotNullWhen(true)] string? value, out PrincipalId principal)
    {
        principal = default;
        if (value is null)
        {
            return false;
        }

        var separator = value.IndexOf(Separator, StringComparison.Ordinal);
        if (separator <= 0 || KindOf(value.AsSpan(0, separator)) is not { } kind)
        {
            return false;
        }

        return TryCreate(kind, value[(separator + Separator.Length)..], out principal);
    }

    public static string SchemeOf(PrincipalKind kind) => kind switch
    {
        PrincipalKind.LocalUser => "local",
        PrincipalKind.OpenLdapUser => "openldap_user",
        PrincipalKind.OpenLdapGroup => "openldap_group",
        PrincipalKind.ActiveDirectoryUser => "activedirectory_user",
        PrincipalKind.ActiveDirectoryGroup => "activedirectory_group",
        PrincipalKind.GitHubUser => "github_user",
        PrincipalKind.GitHubOrg => "github_org",
        PrincipalKind.GitHubTeam => "github_team",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static PrincipalKind? KindOf(ReadOnlySpan<char> scheme) => scheme switch
    {
        "local" => PrincipalKind.LocalUser,
        "openldap_user" => PrincipalKind.OpenLdapUser,
        "openldap_group" => PrincipalKind.OpenLdapGroup,
        "activedirectory_user" => PrincipalKind.ActiveDirectoryUser,
        "activedirectory_group" => PrincipalKind.ActiveDirectoryGroup,
        "github_user" => PrincipalKind.GitHubUser,
        "github_org" => PrincipalKind.GitHubOrg,
        "github_team" => PrincipalKind.GitHubTeam,
        _ => null,
    };

    private static string? NormaliseId(PrincipalKind kind, string id) => kind switch
    {
        PrincipalKind.LocalUser => IsLocalUserId(id) ? id : null,
        // entryUUID (RFC 4530) and objectGUID are both UUIDs; one canonical spelling keeps one
        // string per principal whatever case a directory or a caller used.
        PrincipalKind.OpenLdapUser or PrincipalKind.OpenLdapGroup
            or PrincipalKind.ActiveDirectoryUser or PrincipalKind.ActiveDirectoryGroup
            => Guid.TryParseExact(id, "D", out var guid) ? guid.ToString("D") : null,
        // GitHub ids are positive integers; no sign, no leading zeros, so each id has one spelling.
        PrincipalKind.GitHubUser or PrincipalKind.GitHubOrg or PrincipalKind.GitHubTeam
            => id.Length is > 0 and <= 19 && id[0] != '0' && IsAllDigits(id)
               && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? id : null,
        _ => null,
    };

    // Rancher's local user names: "u-" and lower-case letters or digits (5 when we make them;
    // longer ones come from imported Rancher data), at most a DNS label long.
    private static bool IsLocalUserId(string id)
    {
        if (id.Length is < 7 or > 63 || !id.StartsWith("u-", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in id.AsSpan(2))
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAllDigits(string value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Id is null ? string.Empty : SchemeOf(Kind) + Separator + Id;

    public bool Equals(PrincipalId other) => Kind == other.Kind && string.Equals(Id, other.Id, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is PrincipalId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, Id);

    public static bool operator ==(PrincipalId left, PrincipalId right) => left.Equals(right);

    public static bool operator !=(PrincipalId left, PrincipalId right) => !left.Equals(right);
}
