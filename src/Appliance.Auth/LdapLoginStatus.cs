namespace Appliance.Auth;

/// <summary>The outcome of an LDAP login. Everything but <see cref="Success"/> is a refusal.</summary>
public enum LdapLoginStatus
{
    Success,

    /// <summary>The directory rejected the password (result code 49).</summary>
    InvalidCredentials,

    /// <summary>Refused before any bind: an LDAP bind with a DN and no password is an "unauthenticated" bind that succeeds (RFC 4513 section 5.1.2).</summary>
    EmptyPassword,

    UserNotFound,

    /// <summary>More than one entry matched the login name: an error, never "the first match".</summary>
    AmbiguousUser,

    /// <summary>No server in the list could be reached.</summary>
    ServerUnavailable,

    /// <summary>A server accepted the connection but did not answer within the configured timeout.</summary>
    Timeout,

    /// <summary>The TLS handshake failed, typically because the server's certificate does not verify against the configured CA.</summary>
    TlsFailure,

    /// <summary>The directory rejected the configured service account: a configuration error, not the user's.</summary>
    ServiceAccountRejected,

    /// <summary>The directory answered a search with an error (for example a search base that does not exist).</summary>
    DirectoryError,

    /// <summary>
    /// The account is disabled: the DC said so when the right password was given (AD bind sub-code 533), or the
    /// user bound and <see cref="LdapSettings.UserEnabledAttribute"/> has a bit of <see cref="LdapSettings.UserDisabledBitMask"/>.
    /// </summary>
    AccountDisabled,

    /// <summary>The DC locked the account out after too many bad passwords (AD bind sub-code 775).</summary>
    AccountLockedOut,

    /// <summary>The account's end date (accountExpires) has passed (AD bind sub-code 701).</summary>
    AccountExpired,

    /// <summary>The password expired or must be changed at next logon (AD bind sub-codes 532 and 773); the user changes it in the directory.</summary>
    PasswordExpired,
}
