namespace Appliance.Auth.GitHub;

/// <summary>The outcome of a call to GitHub. Everything but <see cref="Success"/> is a refusal or a failure.</summary>
public enum GitHubStatus
{
    Success,

    /// <summary>The state GitHub sent back is not the one this browser session started with (a forged or replayed callback).</summary>
    StateMismatch,

    /// <summary>GitHub refused the code: wrong, expired, already used, or issued with another PKCE challenge (<c>bad_verification_code</c>).</summary>
    CodeRejected,

    /// <summary>GitHub refused the OAuth app's client id or secret (<c>incorrect_client_credentials</c>): a configuration error.</summary>
    ClientRejected,

    /// <summary>The redirect URI is not the app's registered callback or not the one used to authorize (<c>redirect_uri_mismatch</c>).</summary>
    RedirectUriMismatch,

    /// <summary>GitHub named another OAuth error (for example <c>unverified_user_email</c>); the reason carries its code.</summary>
    OAuthError,

    /// <summary>The API refused the access token (HTTP 401 "Bad credentials"): revoked, expired or never valid.</summary>
    TokenRejected,

    /// <summary>The API answered 403 for another reason than the rate limit.</summary>
    Forbidden,

    /// <summary>GitHub's rate limit is exhausted (403 with <c>X-RateLimit-Remaining: 0</c>, or 429).</summary>
    RateLimited,

    /// <summary>The orgs or teams ran past <see cref="GitHubSettings.MaximumPages"/> pages.</summary>
    TooManyPages,

    /// <summary>GitHub answered 5xx.</summary>
    ServerError,

    /// <summary>An answer that is not GitHub's shape: another status, not JSON, missing fields, a link off the API host, too large.</summary>
    UnexpectedResponse,

    /// <summary>No connection: the name did not resolve or the connection was refused.</summary>
    Unreachable,

    /// <summary>The TLS handshake failed, typically a certificate that does not verify against the configured CA.</summary>
    TlsFailure,

    /// <summary>GitHub did not answer within <see cref="GitHubSettings.Timeout"/>.</summary>
    Timeout,
}
