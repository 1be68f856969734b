namespace Appliance.Auth.GitHub;

/// <summary>
/// What a sign-in must remember between sending the browser to GitHub and receiving the code:
/// the one-time <see cref="State"/> and the PKCE <see cref="CodeVerifier"/>, bound by the caller
/// to the browser session (a server-side session entry, or an encrypted HttpOnly cookie), and
/// the <see cref="RedirectUri"/> GitHub must see again at the exchange. Use it once.
/// </summary>
public sealed class GitHubPendingAuthorization
{
    public GitHubPendingAuthorization(string state, string codeVerifier, string redirectUri)
    {
        ArgumentException.ThrowIfNullOrEmpty(state);
        ArgumentException.ThrowIfNullOrEmpty(codeVerifier);
        ArgumentException.ThrowIfNullOrEmpty(redirectUri);
        State = state;
        CodeVerifier = codeVerifier;
        RedirectUri = redirectUri;
    }

    /// <summary>256 random bits, base64url: GitHub sends it back with the code; it must equal this (<see cref="StateMatches"/>).</summary>
    public string State { get; }

    /// <summary>RFC 7636 verifier (43 unreserved characters); its S256 challenge went to GitHub with the authorize request.</summary>
    public string CodeVerifier { get; }

    public string RedirectUri { get; }

    /// <summary>Whether the state GitHub sent back is this one, compared in constant time.</summary>
    public bool StateMatches(string? returnedState) => GitHubOAuth.StatesEqual(State, returnedState);

    /// <summary>Without the state and the verifier: they are one-time secrets of the browser session.</summary>
    public override string ToString() => $"GitHubPendingAuthorization {{ RedirectUri = {RedirectUri} }}";
}

/// <summary>An authorize URL to send the browser to, and what to remember until GitHub sends it back.</summary>
public sealed class GitHubAuthorizationRequest(Uri authorizeUri, GitHubPendingAuthorization pending)
{
    /// <summary><c>{web}/login/oauth/authorize?client_id=…&amp;redirect_uri=…&amp;scope=read:user%20read:org&amp;state=…&amp;code_challenge=…&amp;code_challenge_method=S256</c>.</summary>
    public Uri AuthorizeUri { get; } = authorizeUri ?? throw new ArgumentNullException(nameof(authorizeUri));

    public GitHubPendingAuthorization Pending { get; } = pending ?? throw new ArgumentNullException(nameof(pending));

    public override string ToString() => $"GitHubAuthorizationRequest {{ RedirectUri = {Pending.RedirectUri} }}";
}
