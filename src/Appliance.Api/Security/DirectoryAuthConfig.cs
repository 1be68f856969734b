using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using static Appliance.Api.FieldRules;

namespace Appliance.Api.Security;

/// <summary>
/// The directory fields of the AuthConfig objects <c>openldap</c> and <c>activedirectory</c>, named as
/// Rancher's ldapConfig / activeDirectoryConfig name them, beside the common <c>enabled</c>,
/// <c>accessMode</c> and <c>allowedPrincipalIds</c>:
/// <c>servers</c> (failover list of host names), <c>port</c> (389, or 636 with LDAPS), <c>tlsMode</c>
/// (<c>starttls</c> by default, <c>ldaps</c>, <c>none</c>; it replaces Rancher's <c>tls</c>/<c>starttls</c> pair),
/// <c>certificate</c> (CA PEM), <c>connectionTimeout</c> (ms, 5000), <c>serviceAccountDistinguishedName</c>
/// (AD: <c>serviceAccountUsername</c>), <c>serviceAccountPasswordSecretRef</c> {namespace
/// <c>appliance-system</c>, name, key <c>password</c>} (the password itself is never in the object),
/// <c>userSearchBase</c>, <c>userLoginAttribute</c>, <c>userObjectClass</c>, <c>userNameAttribute</c>,
/// <c>groupSearchBase</c> (the user search base when absent), <c>groupObjectClass</c>, <c>groupNameAttribute</c>,
/// <c>groupMemberMappingAttribute</c> (<c>member</c>, <c>uniqueMember</c>, ...: groups list member DNs;
/// <c>memberUid</c>: login names; <c>memberOf</c>: users list their groups) and
/// <c>nestedGroupMembershipEnabled</c> (false, as in Rancher). Absent fields take the provider's preset
/// (<see cref="LdapSettings.OpenLdap"/>, <see cref="LdapSettings.ActiveDirectory"/>) when read, and are not
/// written back, so changing <c>tlsMode</c> also moves the default port.
/// </summary>
public static class DirectoryAuthConfig
{
    public const string OpenLdap = "openldap";
    public const string ActiveDirectory = "activedirectory";

    public const string SecretRefField = "serviceAccountPasswordSecretRef";
    public const string PasswordField = "serviceAccountPassword";
    public const string DefaultSecretKey = "password";

    /// <summary>Rancher's default (connectionTimeout 5000 ms).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(5000);

    private const int MaxTimeoutMilliseconds = 300_000;

    private static readonly string[] AttributeFields =
        ["userLoginAttribute", "userObjectClass", "userNameAttribute", "groupObjectClass", "groupNameAttribute", "groupMemberMappingAttribute"];

    public static bool IsDirectory(string? provider) => provider is OpenLdap or ActiveDirectory;

    /// <summary>Rancher's name of the service-account field: a DN for OpenLDAP, any bind name (UPN, DOMAIN\user) for AD.</summary>
    public static string ServiceAccountField(string provider) => provider == ActiveDirectory ? "serviceAccountUsername" : "serviceAccountDistinguishedName";

    /// <summary>The user principal scheme of the provider's users (<c>openldap_user</c>, <c>activedirectory_user</c>).</summary>
    public static PrincipalKind UserKind(string provider) => provider == ActiveDirectory ? PrincipalKind.ActiveDirectoryUser : PrincipalKind.OpenLdapUser;

    /// <summary>
    /// Adds a cause for every directory field of the wrong type or value; when the config is enabled,
    /// also for every field a login needs that is missing. Called from the AuthConfig write rules.
    /// </summary>
    public static void Validate(string provider, JsonObject config, List<ApiStatusCause> causes)
    {
        bool enabled = config["enabled"] is JsonValue flag && flag.GetValueKind() == JsonValueKind.True;
        if (config[PasswordField] is not null)
        {
            causes.Add(Invalid(PasswordField, $"the password is not stored in the AuthConfig: put it in a Secret in {LocalPasswords.SystemNamespace} and name it in {SecretRefField} (testAndApply does both)"));
        }

        if (config["servers"] is JsonNode servers)
        {
            if (servers is not JsonArray list || list.Count == 0)
            {
                causes.Add(Invalid("servers", "must be a non-empty list of host names or addresses"));
            }
            else
            {
                for (int i = 0; i < list.Count; i++)
                {
                    if (Text(list[i]) is not string server || Uri.CheckHostName(server) == UriHostNameType.Unknown)
                    {
                        causes.Add(Invalid($"servers[{i}]", "must be a host name or an IP address (no scheme, no port: the port is its own field)"));
                    }
                }
            }
        }
        else if (enabled)
        {
            causes.Add(Required("servers"));
        }

        LdapTlsMode? tls = null;
        if (config["tlsMode"] is JsonNode mode)
        {
            tls = ParseTlsMode(Text(mode));
            if (tls is null)
            {
                causes.Add(NotSupported("tlsMode", Text(mode), "\"starttls\", \"ldaps\", \"none\""));
            }
        }

        Integer(config, "port", 1, 65535, causes);
        Integer(config, "connectionTimeout", 1, MaxTimeoutMilliseconds, causes);
        if (config["certificate"] is JsonNode certificate)
        {
            if (Text(certificate) is not string pem || !HoldsCertificates(pem))
            {
                causes.Add(Invalid("certificate", "must be the PEM of one or more CA certificates"));
            }
            else if (tls == LdapTlsMode.None)
            {
                causes.Add(Invalid("certificate", "a CA certificate is set but tlsMode is none: choose ldaps or starttls"));
            }
        }

        RequiredWhenEnabled(config, ServiceAccountField(provider), enabled, causes);
        RequiredWhenEnabled(config, "userSearchBase", enabled, causes);
        OptionalString(config, "groupSearchBase", "groupSearchBase", causes);
        foreach (string field in AttributeFields)
        {
            if (config[field] is JsonNode value && (Text(value) is not string name || !IsAttributeName(name)))
            {
                causes.Add(Invalid(field, "must be an LDAP attribute or object class name (letters, digits, '-', or a dotted OID)"));
            }
        }

        if (config["nestedGroupMembershipEnabled"] is JsonNode nested && nested.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            causes.Add(Invalid("nestedGroupMembershipEnabled", "must be true or false"));
        }

        if (config[SecretRefField] is JsonNode reference)
        {
            string? ns = Text(reference["namespace"]);
            if (reference is not JsonObject || (reference["namespace"] is not null && ns != LocalPasswords.SystemNamespace))
            {
                causes.Add(Invalid(SecretRefField + ".namespace", $"the Secret must be in {LocalPasswords.SystemNamespace}, where only administrators read"));
            }

            if (Text(reference["name"]) is not string name || NameValidation.Validate(name, NameRule.DnsSubdomain) is not null)
            {
                causes.Add(Invalid(SecretRefField + ".name", "must name a Secret"));
            }

            if (reference["key"] is JsonNode key && string.IsNullOrEmpty(Text(key)))
            {
                causes.Add(Invalid(SecretRefField + ".key", "must be a key of the Secret's data"));
            }
        }
        else if (enabled)
        {
            causes.Add(Required(SecretRefField));
        }
    }

    /// <summary>The Secret (in <c>appliance-system</c>) and the key of its data that hold the service-account password.</summary>
    public static (string Name, string Key)? SecretRef(JsonObject config)
        => config[SecretRefField] is JsonObject reference && Text(reference["name"]) is string name
            ? (name, Text(reference["key"]) ?? DefaultSecretKey)
            : null;

    /// <summary>
    /// The engine's settings for a valid config (see <see cref="Validate"/>) and the service account's
    /// password: the provider's preset with every field the config sets.
    /// </summary>
    public static LdapSettings ToSettings(string provider, JsonObject config, string serviceAccountPassword)
    {
        var servers = new List<string>();
        if (config["servers"] is JsonArray list)
        {
            foreach (JsonNode? server in list)
            {
                servers.Add(Text(server) ?? "");
            }
        }

        string userSearchBase = Text(config["userSearchBase"]) ?? "";
        string groupSearchBase = Text(config["groupSearchBase"]) is { Length: > 0 } groups ? groups : userSearchBase;
        string serviceAccount = Text(config[ServiceAccountField(provider)]) ?? "";
        LdapSettings preset = provider == ActiveDirectory
            ? LdapSettings.ActiveDirectory(servers, userSearchBase, groupSearchBase, serviceAccount, serviceAccountPassword)
            : LdapSettings.OpenLdap(servers, userSearchBase, groupSearchBase, serviceAccount, serviceAccountPassword);

        LdapTlsMode tls = ParseTlsMode(Text(config["tlsMode"])) ?? LdapTlsMode.StartTls;
        bool nested = config["nestedGroupMembershipEnabled"] is JsonValue flag && flag.GetValueKind() == JsonValueKind.True;
        string mapping = Text(config["groupMemberMappingAttribute"]) ?? preset.GroupMemberAttribute;
        LdapGroupMembership membership = mapping.ToUpperInvariant() switch
        {
            "MEMBERUID" => LdapGroupMembership.MemberUid,
            "MEMBEROF" => LdapGroupMembership.MemberOf,
            _ => LdapGroupMembership.MemberDn,
        };
        return preset with
        {
            Port = IntegerOf(config["port"]) ?? (tls == LdapTlsMode.Ldaps ? LdapSettings.DefaultLdapsPort : LdapSettings.DefaultLdapPort),
            TlsMode = tls,
            CaCertificatesPem = Text(config["certificate"]),
            Timeout = IntegerOf(config["connectionTimeout"]) is int milliseconds ? TimeSpan.FromMilliseconds(milliseconds) : DefaultTimeout,
            LoginAttribute = Text(config["userLoginAttribute"]) ?? preset.LoginAttribute,
            UserObjectClass = Text(config["userObjectClass"]) ?? preset.UserObjectClass,
            DisplayNameAttribute = Text(config["userNameAttribute"]) ?? preset.DisplayNameAttribute,
            GroupObjectClass = Text(config["groupObjectClass"]) ?? preset.GroupObjectClass,
            GroupNameAttribute = Text(config["groupNameAttribute"]) ?? preset.GroupNameAttribute,
            GroupMembership = membership,
            // memberOf is read from the user; the attribute matters for the other two ways.
            GroupMemberAttribute = membership == LdapGroupMembership.MemberOf ? preset.GroupMemberAttribute : mapping,
            NestedGroupDepth = nested ? preset.NestedGroupDepth : 0,
            UseMatchingRuleInChain = nested && preset.UseMatchingRuleInChain,
        };
    }

    private static LdapTlsMode? ParseTlsMode(string? value) => value switch
    {
        "starttls" => LdapTlsMode.StartTls,
        "ldaps" => LdapTlsMode.Ldaps,
        "none" => LdapTlsMode.None,
        _ => null,
    };

    private static void Integer(JsonObject config, string field, int minimum, int maximum, List<ApiStatusCause> causes)
    {
        if (config[field] is JsonNode node && (IntegerOf(node) is not int value || value < minimum || value > maximum))
        {
            causes.Add(Invalid(field, string.Create(CultureInfo.InvariantCulture, $"must be a whole number from {minimum} to {maximum}")));
        }
    }

    private static int? IntegerOf(JsonNode? node)
        => node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out int number) ? number : null;

    private static void RequiredWhenEnabled(JsonObject config, string field, bool enabled, List<ApiStatusCause> causes)
    {
        OptionalString(config, field, field, causes);
        if (enabled && string.IsNullOrWhiteSpace(Text(config[field])))
        {
            causes.Add(Required(field));
        }
    }

    // Attribute and class names go into filters unescaped (escaping is for values): descriptors or OIDs only (RFC 4512 section 1.4).
    private static bool IsAttributeName(string name)
        => name.Length is > 0 and <= 128 && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    internal static bool HoldsCertificates(string pem)
    {
        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPem(pem);
            return bundle.Count > 0;
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            foreach (X509Certificate2 certificate in bundle)
            {
                certificate.Dispose();
            }
        }
    }
}
