using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Auth.GitHub;

/// <summary>
/// GitHub's OAuth web flow for one OAuth app (DESIGN.md, "Identity"): an authorize URL with a one-time
/// <c>state</c> and a PKCE challenge, the code exchange at <c>{web}/login/oauth/access_token</c>, then the
/// user, orgs and teams from the REST API. Asks for <c>read:user read:org</c> only, never <c>repo</c>.
/// Groups come from <c>/user/orgs</c> and <c>/user/teams</c> only: GitHub lists there exactly the orgs
/// and teams the token's user is a member of, so nothing else is trusted as a membership.
/// </summary>
/// <remarks>
/// Never throws for a refusal or an unreachable GitHub: every call returns a <see cref="GitHubResult{T}"/>
/// with a status and a reason that holds no secret, code, verifier or token. Cancelling the caller's
/// token still throws <see cref="OperationCanceledException"/>.
/// </remarks>
public sealed class GitHubOAuth
{
    /// <summary>Space-separated, as the authorize URL carries them: the profile and org/team membership, nothing more.</summary>
    public const string RequestedScopes = "read:user read:org";

    /// <summary>The REST API version this client was written against (GitHub's <c>X-GitHub-Api-Version</c>).</summary>
    public const string ApiVersion = "2022-11-28";

    /// <summary>GitHub's largest page; fewer round trips for users in many orgs or teams.</summary>
    public const int PageSize = 100;

    /// <summary>A hundred teams with every field GitHub sends is a few hundred KiB; more is not a GitHub answer.</summary>
    internal const int MaximumResponseBytes = 4 * 1024 * 1024;

    // GitHub's codes are 20 hex digits; the bound only keeps junk out of the request.
    private const int MaximumCodeLength = 512;

    private const int MaximumTextInReason = 200;

    private static readonly ProductInfoHeaderValue UserAgent = new("Appliance",
        typeof(GitHubOAuth).Assembly.GetName().Version?.ToString(3) ?? "0");

    private readonly GitHubSettings _settings;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly Uri _webBase;
    private readonly Uri _apiBase;

    /// <param name="httpClient">
    /// Used for every call and not disposed; <see cref="GitHubHttp.CreateHttpClient"/> makes the right one
    /// (the settings' CA, no redirects). A test points it at a fake GitHub.
    /// </param>
    public GitHubOAuth(GitHubSettings settings, HttpClient httpClient, ILogger<GitHubOAuth>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(httpClient);
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid GitHub settings: " + string.Join(" ", problems), nameof(settings));
        }

        _settings = settings;
        _http = httpClient;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _webBase = settings.WebBaseUri;
        _apiBase = settings.ApiBaseUri;
    }

    /// <summary>
    /// A fresh authorize URL for <paramref name="redirectUri"/> (the OAuth app's callback URL, or a
    /// path below it) with a new state and PKCE verifier. Bind <see cref="GitHubAuthorizationRequest.Pending"/>
    /// to the browser session before sending the browser to <see cref="GitHubAuthorizationRequest.AuthorizeUri"/>.
    /// </summary>
    public GitHubAuthorizationRequest CreateAuthorizationRequest(string redirectUri)
    {
        ValidateRedirectUri(redirectUri);
        // 256 bits each: state only needs to be unguessable (128 bits would do), the verifier is
        // RFC 7636's recommended 32 octets, base64url-encoded to 43 characters.
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var query = "client_id=" + Uri.EscapeDataString(_settings.ClientId)
                    + "&redirect_uri=" + Uri.EscapeDataString(redirectUri)
                    + "&scope=" + Uri.EscapeDataString(RequestedScopes)
                    + "&state=" + state
                    + "&code_challenge=" + CodeChallengeOf(verifier)
                    + "&code_challenge_method=S256";
        return new GitHubAuthorizationRequest(
            new Uri(_webBase, "login/oauth/authorize?" + query),
            new GitHubPendingAuthorization(state, verifier, redirectUri));
    }

    /// <summary>
    /// Whether <paramref name="returned"/> is <paramref name="expected"/>, in time that does not depend on
    /// where they differ (a state compared byte by byte with early exit can be guessed a character at a time).
    /// An empty expected state matches nothing.
    /// </summary>
    public static bool StatesEqual(string expected, string? returned)
    {
        ArgumentNullException.ThrowIfNull(expected);
        // Lengths are not secret: every state this class makes is 43 characters.
        if (expected.Length == 0 || returned is null || returned.Length != expected.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            MemoryMarshal.AsBytes(expected.AsSpan()), MemoryMarshal.AsBytes(returned.AsSpan()));
    }

    /// <summary>RFC 7636 S256: BASE64URL(SHA256(ASCII(verifier))).</summary>
    public static string CodeChallengeOf(string codeVerifier)
    {
        ArgumentNullException.ThrowIfNull(codeVerifier);
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(codeVerifier)));
    }

    /// <summary>
    /// The whole callback: checks the state GitHub sent back against the session's, exchanges the code
    /// with the session's verifier, then reads the identity. A wrong state is refused before GitHub is asked.
    /// </summary>
    public async Task<GitHubResult<GitHubLogin>> LoginAsync(GitHubPendingAuthorization pending, string? returnedState, string code,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (!pending.StateMatches(returnedState))
        {
            GitHubLog.StateMismatch(_logger);
            return GitHubResult<GitHubLogin>.Failure(GitHubStatus.StateMismatch,
                "The state GitHub sent back is not the one this sign-in started with: the callback is forged, replayed or from another browser session.");
        }

        var token = await ExchangeCodeAsync(code, pending.RedirectUri, pending.CodeVerifier, cancellationToken).ConfigureAwait(false);
        if (token.Value is not { } accessToken)
        {
            return token.AsFailure<GitHubLogin>();
        }

        var identity = await GetIdentityAsync(accessToken, cancellationToken).ConfigureAwait(false);
        return identity.Value is { } user
            ? GitHubResult<GitHubLogin>.Success(new GitHubLogin(user, accessToken))
            : identity.AsFailure<GitHubLogin>();
    }

    /// <summary>
    /// <c>POST {web}/login/oauth/access_token</c> with the client credentials, the code, the redirect URI
    /// and the PKCE verifier. GitHub answers its errors with HTTP 200 and an <c>error</c> field; those
    /// become <see cref="GitHubStatus.CodeRejected"/>, <see cref="GitHubStatus.ClientRejected"/> and so on.
    /// </summary>
    public async Task<GitHubResult<GitHubAccessToken>> ExchangeCodeAsync(string code, string redirectUri, string codeVerifier,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        ValidateRedirectUri(redirectUri);
        if (!IsCodeVerifier(codeVerifier))
        {
            throw new ArgumentException("The PKCE verifier must be 43 to 128 unreserved characters (RFC 7636 section 4.1).", nameof(codeVerifier));
        }

        var result = await ExchangeCoreAsync(code, redirectUri, codeVerifier, cancellationToken).ConfigureAwait(false);
        if (result.Value is { } token)
        {
            GitHubLog.CodeExchanged(_logger, _webBase.Authority, string.Join(",", token.Scopes));
        }
        else
        {
            GitHubLog.CodeExchangeFailed(_logger, _webBase.Authority, result.Status, result.Reason);
        }

        return result;
    }

    /// <summary>
    /// <c>GET {api}/user</c>, then every page of <c>{api}/user/orgs</c> and <c>{api}/user/teams</c>
    /// (following <c>Link: &lt;…&gt;; rel="next"</c>, at most <see cref="GitHubSettings.MaximumPages"/> pages each).
    /// Also how a stored token refreshes a user's groups later.
    /// </summary>
    public async Task<GitHubResult<GitHubIdentity>> GetIdentityAsync(GitHubAccessToken token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        var result = await GetIdentityCoreAsync(token, cancellationToken).ConfigureAwait(false);
        if (result.Value is { } identity)
        {
            GitHubLog.IdentityResolved(_logger, identity.Login, identity.Principal.ToString(), _apiBase.Authority,
                identity.Groups.Count(group => group.Principal.Kind == PrincipalKind.GitHubOrg),
                identity.Groups.Count(group => group.Principal.Kind == PrincipalKind.GitHubTeam));
        }
        else
        {
            GitHubLog.IdentityFailed(_logger, _apiBase.Authority, result.Status, result.Reason);
        }

        return result;
    }

    private async Task<GitHubResult<GitHubAccessToken>> ExchangeCoreAsync(string code, string redirectUri, string codeVerifier,
        CancellationToken cancellationToken)
    {
        if (code.Length is 0 or > MaximumCodeLength || !IsPrintableAsciiWithoutSpace(code))
        {
            // Not worth a round trip, and keeps junk out of a request that carries the client secret.
            return GitHubResult<GitHubAccessToken>.Failure(GitHubStatus.CodeRejected,
                "The code is empty, too long or not printable ASCII, so it is not a GitHub code; GitHub was not asked.");
        }

        string[] secrets = [_settings.ClientSecret, code, codeVerifier];
        const string What = "the code exchange";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_webBase, "login/oauth/access_token"));
        request.Content = new FormUrlEncodedContent(
        [
            new("client_id", _settings.ClientId),
            new("client_secret", _settings.ClientSecret),
            new("code", code),
            new("redirect_uri", redirectUri),
            new("code_verifier", codeVerifier),
        ]);
        // Without it GitHub answers form-encoded; with it, JSON (errors included).
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.UserAgent.Add(UserAgent);

        var (response, status, reason) = await SendAsync(request, What, cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return GitHubResult<GitHubAccessToken>.Failure(status, reason);
        }

        GitHubTokenResponse? body = null;
        if (IsJson(response.MediaType))
        {
            try
            {
                body = JsonSerializer.Deserialize(response.Body, GitHubJsonContext.Default.GitHubTokenResponse);
            }
            catch (JsonException exception)
            {
                return GitHubResult<GitHubAccessToken>.Failure(GitHubStatus.UnexpectedResponse,
                    $"GitHub's answer to {What} is not the JSON expected (at {exception.Path ?? "$"}).");
            }
        }

        // GitHub sends its OAuth errors with 200; accept the same triple with a 4xx too.
        if (body?.Error is { } error)
        {
            return OAuthErrorResult(error, body.ErrorDescription, secrets);
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            return StatusFailure<GitHubAccessToken>(response, What, secrets);
        }

        if (body is null)
        {
            return GitHubResult<GitHubAccessToken>.Failure(GitHubStatus.UnexpectedResponse,
                $"GitHub's answer to {What} is {DescribeMediaType(response.MediaType)}, not JSON: is {_webBase.Authority} a GitHub?");
        }

        if (string.IsNullOrEmpty(body.AccessToken) || body.AccessToken.Length > 1024 || !IsPrintableAsciiWithoutSpace(body.AccessToken))
        {
            return GitHubResult<GitHubAccessToken>.Failure(GitHubStatus.UnexpectedResponse,
                $"GitHub's answer to {What} has no usable access_token and no error.");
        }

        if (!string.Equals(body.TokenType, "bearer", StringComparison.OrdinalIgnoreCase))
        {
            return GitHubResult<GitHubAccessToken>.Failure(GitHubStatus.UnexpectedResponse,
                $"GitHub's answer to {What} has token_type '{SafeText(body.TokenType, secrets)}', not bearer.");
        }

        // GitHub reports the granted scopes comma-separated ("read:org,read:user").
        var scopes = (body.Scope ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!scopes.Any(scope => scope is "read:org" or "write:org" or "admin:org"))
        {
            // Not a refusal: the user is still who they are. Without read:org GitHub lists only
            // public org memberships and refuses the teams, so a restricted access mode fails closed.
            GitHubLog.ReadOrgScopeMissing(_logger, _webBase.Authority, string.Join(",", scopes));
        }

        return GitHubResult<GitHubAccessToken>.Success(new GitHubAccessToken(body.AccessToken, scopes));
    }

    private static GitHubResult<GitHubAccessToken> OAuthErrorResult(string error, string? description, string[] secrets)
    {
        // GitHub's error codes are lower-case words; anything else is shown as "unknown" rather than echoed.
        var code = error.Length <= 64 && error.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') ? error : "unknown";
        var detail = $"{code}: {SafeText(description, secrets)}";
        return code switch
        {
            // invalid_grant is the RFC 6749 name of the same refusal.
            "bad_verification_code" or "invalid_grant" => GitHubResult<GitHubAccessToken>.Failure(GitHubStatus.CodeRejected,
                $"GitHub refused the code: it is wrong, expired or already used, or the PKCE verifier does not match its challenge ({detail})."),
            "incorrect_client_credentials" or "invalid_client" => GitHubResult<GitHubAccessToken>.Failure(GitHubStatus.ClientRejected,
                $"GitHub refused the OAuth app's client id or client secret; compare them with the app's settings page ({detail})."),
            "redirect_uri_mismatch" => GitHubResult<GitHubAccessToken>.Failure(GitHubStatus.RedirectUriMismatch,
                $"GitHub refused the redirect URI: it must be the OAuth app's callback URL (or below it) and the one used to authorize ({detail})."),
            _ => GitHubResult<GitHubAccessToken>.Failure(GitHubStatus.OAuthError, $"GitHub refused the code exchange ({detail})."),
        };
    }

    private async Task<GitHubResult<GitHubIdentity>> GetIdentityCoreAsync(GitHubAccessToken token, CancellationToken cancellationToken)
    {
        if (!IsPrintableAsciiWithoutSpace(token.Value))
        {
            return GitHubResult<GitHubIdentity>.Failure(GitHubStatus.TokenRejected, "The access token is not printable ASCII, so it is not a GitHub token; GitHub was not asked.");
        }

        var userPage = await GetPageAsync(new Uri(_apiBase, "user"), "/user", token, GitHubJsonContext.Default.GitHubUserResponse, cancellationToken)
            .ConfigureAwait(false);
        if (userPage.Value is not { Value: var user })
        {
            return userPage.AsFailure<GitHubIdentity>();
        }

        if (!PrincipalId.TryCreate(PrincipalKind.GitHubUser, user.Id > 0 ? user.Id.ToString(CultureInfo.InvariantCulture) : null, out var userPrincipal)
            || string.IsNullOrEmpty(user.Login))
        {
            return GitHubResult<GitHubIdentity>.Failure(GitHubStatus.UnexpectedResponse, "GitHub's /user answer has no positive id or no login.");
        }

        var orgs = await GetAllPagesAsync("user/orgs", token, GitHubJsonContext.Default.ListGitHubOrganizationResponse, cancellationToken)
            .ConfigureAwait(false);
        if (orgs.Value is not { } orgList)
        {
            return orgs.AsFailure<GitHubIdentity>();
        }

        var teams = await GetAllPagesAsync("user/teams", token, GitHubJsonContext.Default.ListGitHubTeamResponse, cancellationToken)
            .ConfigureAwait(false);
        if (teams.Value is not { } teamList)
        {
            return teams.AsFailure<GitHubIdentity>();
        }

        var groups = new List<GitHubGroup>(orgList.Count + teamList.Count);
        var seen = new HashSet<PrincipalId>();
        foreach (var org in orgList)
        {
            if (!TryPrincipal(PrincipalKind.GitHubOrg, org.Id, out var principal) || string.IsNullOrEmpty(org.Login))
            {
                return GitHubResult<GitHubIdentity>.Failure(GitHubStatus.UnexpectedResponse, "GitHub's /user/orgs lists an org without a positive id or a login.");
            }

            // A page can repeat an item when memberships change between two page requests.
            if (seen.Add(principal))
            {
                groups.Add(new GitHubGroup(principal, org.Login, org.Login));
            }
        }

        foreach (var team in teamList)
        {
            if (!TryPrincipal(PrincipalKind.GitHubTeam, team.Id, out var principal) || string.IsNullOrEmpty(team.Slug)
                || team.Organization is not { Login: { Length: > 0 } orgLogin })
            {
                return GitHubResult<GitHubIdentity>.Failure(GitHubStatus.UnexpectedResponse, "GitHub's /user/teams lists a team without a positive id, a slug or an organization.");
            }

            if (seen.Add(principal))
            {
                groups.Add(new GitHubGroup(principal, orgLogin + "/" + team.Slug, string.IsNullOrEmpty(team.Name) ? team.Slug : team.Name));
            }
        }

        return GitHubResult<GitHubIdentity>.Success(
            new GitHubIdentity(userPrincipal, user.Login, string.IsNullOrWhiteSpace(user.Name) ? user.Login : user.Name, groups));
    }

    private static bool TryPrincipal(PrincipalKind kind, long id, out PrincipalId principal)
    {
        principal = default;
        return id > 0 && PrincipalId.TryCreate(kind, id.ToString(CultureInfo.InvariantCulture), out principal);
    }

    private async Task<GitHubResult<List<TItem>>> GetAllPagesAsync<TItem>(string path, GitHubAccessToken token,
        JsonTypeInfo<List<TItem>> typeInfo, CancellationToken cancellationToken)
    {
        var what = "/" + path;
        var items = new List<TItem>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        Uri? next = new Uri(_apiBase, path + "?per_page=" + PageSize.ToString(CultureInfo.InvariantCulture));
        for (var page = 1; next is not null; page++)
        {
            if (page > _settings.MaximumPages)
            {
                return GitHubResult<List<TItem>>.Failure(GitHubStatus.TooManyPages,
                    $"GitHub's {what} runs past {_settings.MaximumPages} pages of {PageSize}; no more pages were read.");
            }

            if (!IsOnApi(next))
            {
                // The next request would carry the token: it goes only to the API it came from.
                return GitHubResult<List<TItem>>.Failure(GitHubStatus.UnexpectedResponse,
                    $"GitHub's {what} pagination links to {next.Scheme}://{next.Authority}, outside the API at {_apiBase}; it was not followed.");
            }

            if (!visited.Add(next.AbsoluteUri))
            {
                return GitHubResult<List<TItem>>.Failure(GitHubStatus.UnexpectedResponse,
                    $"GitHub's {what} pagination links back to a page already read.");
            }

            var result = await GetPageAsync(next, what, token, typeInfo, cancellationToken).ConfigureAwait(false);
            if (result.Value is not { } current)
            {
                return result.AsFailure<List<TItem>>();
            }

            items.AddRange(current.Value);
            next = current.Next;
        }

        return GitHubResult<List<TItem>>.Success(items);
    }

    private bool IsOnApi(Uri uri)
        => uri.IsAbsoluteUri
           && string.Equals(uri.Scheme, _apiBase.Scheme, StringComparison.OrdinalIgnoreCase)
           && string.Equals(uri.IdnHost, _apiBase.IdnHost, StringComparison.OrdinalIgnoreCase)
           && uri.Port == _apiBase.Port
           && uri.AbsolutePath.StartsWith(_apiBase.AbsolutePath, StringComparison.Ordinal);

    private sealed record Page<T>(T Value, Uri? Next);

    private async Task<GitHubResult<Page<T>>> GetPageAsync<T>(Uri uri, string what, GitHubAccessToken token, JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken)
        where T : class
    {
        string[] secrets = [token.Value, _settings.ClientSecret];
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        request.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", ApiVersion);
        request.Headers.UserAgent.Add(UserAgent);

        var (response, status, reason) = await SendAsync(request, what, cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return GitHubResult<Page<T>>.Failure(status, reason);
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            return StatusFailure<Page<T>>(response, what, secrets);
        }

        if (!IsJson(response.MediaType))
        {
            return GitHubResult<Page<T>>.Failure(GitHubStatus.UnexpectedResponse,
                $"GitHub's answer to {what} is {DescribeMediaType(response.MediaType)}, not JSON: is {_apiBase} GitHub's API?");
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize(response.Body, typeInfo);
        }
        catch (JsonException exception)
        {
            return GitHubResult<Page<T>>.Failure(GitHubStatus.UnexpectedResponse,
                $"GitHub's answer to {what} is not the JSON expected (at {exception.Path ?? "$"}).");
        }

        return value is null
            ? GitHubResult<Page<T>>.Failure(GitHubStatus.UnexpectedResponse, $"GitHub's answer to {what} is null.")
            : GitHubResult<Page<T>>.Success(new Page<T>(value, GitHubLinkHeader.FindRelation(response.Links, "next", uri)));
    }

    private static GitHubResult<T> StatusFailure<T>(RawResponse response, string what, string[] secrets)
        where T : class
    {
        var code = (int)response.StatusCode;
        var message = "";
        if (IsJson(response.MediaType))
        {
            try
            {
                message = SafeText(JsonSerializer.Deserialize(response.Body, GitHubJsonContext.Default.GitHubErrorResponse)?.Message, secrets);
            }
            catch (JsonException)
            {
                // The status says enough.
            }
        }

        var said = message.Length == 0 ? "" : $": {message}";
        if (response.StatusCode == HttpStatusCode.TooManyRequests
            || (response.StatusCode == HttpStatusCode.Forbidden && response.RateLimitRemaining == "0"))
        {
            var resets = long.TryParse(response.RateLimitReset, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? $"; it resets at {DateTimeOffset.FromUnixTimeSeconds(seconds):u}"
                : "";
            return GitHubResult<T>.Failure(GitHubStatus.RateLimited, $"GitHub's rate limit is exhausted (HTTP {code} on {what}{said}){resets}.");
        }

        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => GitHubResult<T>.Failure(GitHubStatus.TokenRejected,
                $"GitHub refused the access token on {what} (HTTP 401{said}): it is revoked, expired or not a token of this GitHub."),
            HttpStatusCode.Forbidden => GitHubResult<T>.Failure(GitHubStatus.Forbidden, $"GitHub refused {what} (HTTP 403{said})."),
            HttpStatusCode.NotFound => GitHubResult<T>.Failure(GitHubStatus.UnexpectedResponse,
                $"GitHub has no {what} (HTTP 404{said}): check the hostname (an Enterprise Server serves its API under /api/v3)."),
            _ when code >= 500 => GitHubResult<T>.Failure(GitHubStatus.ServerError, $"GitHub failed on {what} (HTTP {code}{said})."),
            _ when code is >= 300 and < 400 => GitHubResult<T>.Failure(GitHubStatus.UnexpectedResponse,
                $"GitHub redirected {what} (HTTP {code}); redirects are not followed, check the hostname."),
            _ => GitHubResult<T>.Failure(GitHubStatus.UnexpectedResponse, $"GitHub answered {what} with HTTP {code}{said}."),
        };
    }

    /// <summary>What of an HTTP answer the sign-in reads, copied out before the response is disposed.</summary>
    private sealed record RawResponse(HttpStatusCode StatusCode, string? MediaType, byte[] Body, IReadOnlyList<string> Links,
        string? RateLimitRemaining, string? RateLimitReset);

    private async Task<(RawResponse? Response, GitHubStatus Status, string Reason)> SendAsync(HttpRequestMessage request, string what,
        CancellationToken cancellationToken)
    {
        var host = request.RequestUri!.Authority;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_settings.Timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            var body = await ReadBoundedAsync(response.Content, deadline.Token).ConfigureAwait(false);
            if (body is null)
            {
                return (null, GitHubStatus.UnexpectedResponse, $"GitHub's answer to {what} is larger than {MaximumResponseBytes} bytes.");
            }

            return (new RawResponse(
                response.StatusCode,
                response.Content.Headers.ContentType?.MediaType,
                body,
                response.Headers.TryGetValues("Link", out var links) ? [.. links] : [],
                response.Headers.TryGetValues("X-RateLimit-Remaining", out var remaining) ? remaining.FirstOrDefault() : null,
                response.Headers.TryGetValues("X-RateLimit-Reset", out var reset) ? reset.FirstOrDefault() : null), GitHubStatus.Success, "");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our deadline, or the HttpClient's own timeout; the caller's cancellation propagates.
            return (null, GitHubStatus.Timeout,
                $"GitHub at {host} did not answer {what} within {_settings.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.");
        }
        catch (HttpRequestException exception) when (exception.HttpRequestError == HttpRequestError.SecureConnectionError
                                                      || exception.InnerException is AuthenticationException)
        {
            return (null, GitHubStatus.TlsFailure,
                $"The TLS handshake with {host} failed: {exception.InnerException?.Message ?? exception.Message} (is the CA bundle the one that signed GitHub's certificate?)");
        }
        catch (HttpRequestException exception) when (exception.HttpRequestError == HttpRequestError.NameResolutionError)
        {
            return (null, GitHubStatus.Unreachable, $"The name of {host} does not resolve.");
        }
        catch (HttpRequestException exception)
        {
            return (null, GitHubStatus.Unreachable, $"No answer from {host} to {what}: {exception.HttpRequestError} ({SafeText(exception.Message, [])}).");
        }
        catch (IOException exception)
        {
            // The connection broke while the body was read.
            return (null, GitHubStatus.Unreachable, $"The connection to {host} broke during {what}: {SafeText(exception.Message, [])}.");
        }
    }

    /// <summary>The body, or null when it is larger than <see cref="MaximumResponseBytes"/> (however it is framed).</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaximumResponseBytes)
        {
            return null;
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaximumResponseBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
    }

    private static bool IsJson(string? mediaType)
        => mediaType is not null
           && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
               || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static string DescribeMediaType(string? mediaType) => mediaType is null ? "without a content type" : SafeText(mediaType, []);

    /// <summary>
    /// Text from GitHub made fit for a reason: every occurrence of a secret replaced first (so truncation
    /// cannot leave part of one), control characters blanked, at most <see cref="MaximumTextInReason"/> characters.
    /// </summary>
    private static string SafeText(string? text, string[] secrets)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        foreach (var secret in secrets)
        {
            if (secret.Length > 0)
            {
                text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
            }
        }

        var builder = new StringBuilder(Math.Min(text.Length, MaximumTextInReason + 1));
        foreach (var c in text)
        {
            if (builder.Length == MaximumTextInReason)
            {
                builder.Append('…');
                break;
            }

            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString();
    }

    private static bool IsPrintableAsciiWithoutSpace(string value)
    {
        foreach (var c in value)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsCodeVerifier(string? value)
        => value is { Length: >= 43 and <= 128 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');

    private static void ValidateRedirectUri(string redirectUri)
    {
        ArgumentNullException.ThrowIfNull(redirectUri);
        if (!Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
            || uri.Fragment.Length != 0 || uri.UserInfo.Length != 0)
        {
            throw new ArgumentException("The redirect URI must be an absolute http(s) URL without a fragment or user info (the OAuth app's callback URL).", nameof(redirectUri));
        }
    }
}
