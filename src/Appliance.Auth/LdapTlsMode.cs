namespace Appliance.Auth;

/// <summary>How the connection to the directory is protected.</summary>
public enum LdapTlsMode
{
    /// <summary>Plain LDAP: passwords cross the network in clear. Only for loopback or tests.</summary>
    None,

    /// <summary>TLS from the first byte (ldaps://, usually port 636).</summary>
    Ldaps,

    /// <summary>Plain LDAP upgraded with the StartTLS extended operation (RFC 4513 section 3) before any credential is sent.</summary>
    StartTls,
}
