using System.Security.Cryptography.X509Certificates;

namespace Appliance.Auth;

/// <summary>
/// One directory's connection and schema settings. OpenLDAP and Active Directory differ only in
/// these values (<see cref="OpenLdap"/>, <see cref="ActiveDirectory"/>), so one engine serves both.
/// A record, so a variant is a <c>with</c> expression.
/// </summary>
public sealed record LdapSettings
{
    public const int DefaultLdapPort = 389;
    public const int DefaultLdapsPort = 636;

    /// <summary>Long enough for a directory across a WAN, short enough that a login form does not hang.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Deeper nesting than this is almost always a modelling accident; the bound keeps one login's work finite.</summary>
    public const int DefaultNestedGroupDepth = 5;

    /// <summary>Host names or addresses, tried in order: the first that answers serves the login (failover).</summary>
    public IReadOnlyList<string> Servers { get; init; } = [];

    public int Port { get; init; } = DefaultLdapPort;

    public LdapTlsMode TlsMode { get; init; } = LdapTlsMode.StartTls;

    /// <summary>
    /// PEM bundle of the CA certificates that may sign the server's certificate. When null the
    /// system trust store is used. Either way the chain and the host name are verified.
    /// </summary>
    public string? CaCertificatesPem { get; init; }

    /// <summary>Bounds the TCP connect and the whole exchange with one server; past it the next server is tried.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public string ServiceAccountDn { get; init; } = "";

    public string ServiceAccountPassword { get; init; } = "";

    public string UserSearchBase { get; init; } = "";

    /// <summary>The attribute the login name is matched against: uid (OpenLDAP), sAMAccountName or userPrincipalName (AD).</summary>
    public string LoginAttribute { get; init; } = "uid";

    public string UserObjectClass { get; init; } = "inetOrgPerson";

    public string DisplayNameAttribute { get; init; } = "cn";

    /// <summary>The immutable id principals are built from: entryUUID (RFC 4530) or AD's objectGUID.</summary>
    public string UniqueIdAttribute { get; init; } = "entryUUID";

    /// <summary>True when <see cref="UniqueIdAttribute"/> is a 16-byte binary GUID (AD's objectGUID) rather than a UUID string.</summary>
    public bool UniqueIdIsBinaryGuid { get; init; }

    public string GroupSearchBase { get; init; } = "";

    public string GroupObjectClass { get; init; } = "groupOfNames";

    public string GroupNameAttribute { get; init; } = "cn";

    public LdapGroupMembership GroupMembership { get; init; } = LdapGroupMembership.MemberDn;

    /// <summary>The group attribute holding members: member (DNs) or memberUid (login names).</summary>
    public string GroupMemberAttribute { get; init; } = "member";

    /// <summary>Levels of group-in-group expansion beyond the direct groups; 0 = direct groups only.</summary>
    public int NestedGroupDepth { get; init; } = DefaultNestedGroupDepth;

    /// <summary>
    /// AD only: resolve nested groups with one search using LDAP_MATCHING_RULE_IN_CHAIN
    /// (1.2.840.113556.1.4.1941), which the DC evaluates transitively, instead of one search per level.
    /// </summary>
    public bool UseMatchingRuleInChain { get; init; }

    /// <summary>
    /// The user attribute whose bits mark a disabled account (AD: userAccountControl), like Rancher's setting of
    /// the same name; empty for none. Checked after the user's bind succeeded, so only someone who knows the
    /// password learns that the account is disabled (AD itself refuses such a bind, with sub-code 533).
    /// </summary>
    public string UserEnabledAttribute { get; init; } = "";

    /// <summary>The bits of <see cref="UserEnabledAttribute"/> of which any one marks the account disabled (AD: ACCOUNTDISABLE, 0x2).</summary>
    public long UserDisabledBitMask { get; init; } = ActiveDirectoryAccountDisable;

    /// <summary>userAccountControl's ACCOUNTDISABLE bit.</summary>
    public const long ActiveDirectoryAccountDisable = 0x2;

    /// <summary>Which principal schemes this directory's users and groups get.</summary>
    public PrincipalKind UserPrincipalKind { get; init; } = PrincipalKind.OpenLdapUser;

    public PrincipalKind GroupPrincipalKind { get; init; } = PrincipalKind.OpenLdapGroup;

    /// <summary>OpenLDAP: inetOrgPerson by uid, groupOfNames by member DN, principals by entryUUID.</summary>
    public static LdapSettings OpenLdap(IReadOnlyList<string> servers, string userSearchBase, string groupSearchBase,
        string serviceAccountDn, string serviceAccountPassword) => new()
    {
        Servers = servers,
        UserSearchBase = userSearchBase,
        GroupSearchBase = groupSearchBase,
        ServiceAccountDn = serviceAccountDn,
        ServiceAccountPassword = serviceAccountPassword,
    };

    /// <summary>Active Directory: person by sAMAccountName, group by member DN resolved in-chain, principals by objectGUID.</summary>
    public static LdapSettings ActiveDirectory(IReadOnlyList<string> servers, string userSearchBase, string groupSearchBase,
        string serviceAccountDn, string serviceAccountPassword) => new()
    {
        Servers = servers,
        UserSearchBase = userSearchBase,
        GroupSearchBase = groupSearchBase,
        ServiceAccountDn = serviceAccountDn,
        ServiceAccountPassword = serviceAccountPassword,
        LoginAttribute = "sAMAccountName",
        UserObjectClass = "person",
        DisplayNameAttribute = "displayName",
        UniqueIdAttribute = "objectGUID",
        UniqueIdIsBinaryGuid = true,
        GroupObjectClass = "group",
        GroupMembership = LdapGroupMembership.MemberDn,
        GroupMemberAttribute = "member",
        UseMatchingRuleInChain = true,
        UserEnabledAttribute = "userAccountControl",
        UserPrincipalKind = PrincipalKind.ActiveDirectoryUser,
        GroupPrincipalKind = PrincipalKind.ActiveDirectoryGroup,
    };

    /// <summary>For logs and test output: the record's generated form would print the service account password.</summary>
    public override string ToString()
        => $"LdapSettings {{ Servers = [{string.Join(", ", Servers)}], Port = {Port}, TlsMode = {TlsMode}, ServiceAccountDn = {ServiceAccountDn}, UserSearchBase = {UserSearchBase}, GroupSearchBase = {GroupSearchBase}, GroupMembership = {GroupMembership} }}";

    /// <summary>Every problem with these settings, in words an administrator can act on; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Servers.Count == 0 || Servers.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("At least one LDAP server is required, and no server name may be empty.");
        }

        if (Port is < 1 or > 65535)
        {
            problems.Add($"The LDAP port {Port} is not between 1 and 65535.");
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
        {
            problems.Add("The LDAP timeout must be positive and at most 5 minutes.");
        }

        if (string.IsNullOrWhiteSpace(ServiceAccountDn) || string.IsNullOrEmpty(ServiceAccountPassword))
        {
            problems.Add("The service account DN and password are required: users are searched with it before their own bind.");
        }

        if (string.IsNullOrWhiteSpace(UserSearchBase) || string.IsNullOrWhiteSpace(GroupSearchBase))
        {
            problems.Add("The user and group search bases are required.");
        }

        foreach (var (name, value) in new[]
                 {
                     ("login attribute", LoginAttribute), ("user object class", UserObjectClass),
                     ("display name attribute", DisplayNameAttribute), ("unique id attribute", UniqueIdAttribute),
                     ("group object class", GroupObjectClass), ("group name attribute", GroupNameAttribute),
                     ("group member attribute", GroupMemberAttribute),
                 })
        {
            // Attribute and class names go into filters unescaped (escaping applies to values
            // only), so they must be plain descriptors or OIDs (RFC 4512 section 1.4).
            if (string.IsNullOrEmpty(value) || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
            {
                problems.Add($"The {name} '{value}' is not an LDAP attribute or class name.");
            }
        }

        if (UserEnabledAttribute.Length > 0 && !UserEnabledAttribute.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
        {
            problems.Add($"The user enabled attribute '{UserEnabledAttribute}' is not an LDAP attribute name.");
        }

        if (UserEnabledAttribute.Length > 0 && UserDisabledBitMask <= 0)
        {
            problems.Add("The user disabled bit mask must name at least one bit when a user enabled attribute is set.");
        }

        if (NestedGroupDepth is < 0 or > 50)
        {
            problems.Add("The nested group depth must be between 0 and 50.");
        }

        if (CaCertificatesPem is not null)
        {
            var bundle = new X509Certificate2Collection();
            try
            {
                bundle.ImportFromPem(CaCertificatesPem);
            }
            catch (System.Security.Cryptography.CryptographicException exception)
            {
                problems.Add($"The CA certificate bundle is not valid PEM: {exception.Message}");
            }

            if (bundle.Count == 0)
            {
                problems.Add("The CA certificate bundle holds no certificate.");
            }

            foreach (var certificate in bundle)
            {
                certificate.Dispose();
            }
        }

        if (TlsMode == LdapTlsMode.None && CaCertificatesPem is not null)
        {
            problems.Add("A CA certificate bundle is set but TLS is off: choose LDAPS or StartTLS.");
        }

        if (PrincipalId.SchemeOf(UserPrincipalKind).EndsWith("_group", StringComparison.Ordinal)
            || !PrincipalId.SchemeOf(GroupPrincipalKind).EndsWith("_group", StringComparison.Ordinal))
        {
            problems.Add("The user principal kind must be a user kind and the group principal kind a group kind.");
        }

        return problems;
    }
}
