namespace Appliance.Auth;

/// <summary>
/// Why a bearer credential was or was not accepted. Every status but <see cref="Authenticated"/> is the
/// same 401 to the caller (telling them which part was wrong would help a guesser); the log tells operators.
/// </summary>
public enum TokenAuthenticationStatus
{
    Authenticated,

    /// <summary>Not of the form <c>token-xxxxx:SECRET</c>.</summary>
    Malformed,

    /// <summary>No Token object of that name (never created, deleted, or expired and removed).</summary>
    UnknownToken,

    WrongSecret,
    Expired,

    /// <summary>The token's user no longer exists.</summary>
    UnknownUser,
    UserDisabled,

    /// <summary>The provider the token was issued through (its <c>authProvider</c>) is not enabled now.</summary>
    ProviderDisabled,
}
