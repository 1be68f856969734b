using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Appliance.Auth.Testing;

/// <summary>Where the fake serves the API: github.com's own host, or an Enterprise Server's <c>/api/v3</c> prefix.</summary>
public enum FakeGitHubLayout
{
    /// <summary>Web on <c>github.com</c>, API at the root of <c>api.github.com</c>; reach both through <see cref="FakeGitHub.ConnectAsync"/>.</summary>
    GitHubCom,

    /// <summary>One host (default <c>localhost:PORT</c>): web at the root, API under <c>/api/v3</c>.</summary>
    Enterprise,
}

/// <summary>Endpoints that accept a request and then never answer, until the client gives up or the fake stops.</summary>
[Flags]
public enum FakeGitHubHang
{
    None = 0,
    TokenEndpoint = 1,
    Api = 2,
}

public sealed record FakeGitHubUser(long Id, string Login, string? Name);

public sealed record FakeGitHubOrg(long Id, string Login);

public sealed record FakeGitHubTeam(long Id, FakeGitHubOrg Organization, string Slug, string Name);

/// <summary>One <c>GET /login/oauth/authorize</c> as the fake received it.</summary>
public sealed record FakeGitHubAuthorization(string? ClientId, string? RedirectUri, string? Scope, string? State, string? CodeChallenge,
    string? CodeChallengeMethod);

/// <summary>One API request as the fake received it; <see cref="Path"/> is the whole path, an Enterprise layout's <c>/api/v3</c> prefix included.</summary>
public sealed record FakeGitHubApiRequest(string Host, string Path, string Query, string? Authorization, string? Accept, string? ApiVersion,
    string? UserAgent);

/// <summary>
/// A local github.com (or GitHub Enterprise Server) over HTTPS on 127.0.0.1 that speaks GitHub's OAuth web
/// flow and the REST API shapes a sign-in reads: <c>/login/oauth/authorize</c> (302 back to the redirect URI
/// with code and state, PKCE S256 challenge recorded), <c>/login/oauth/access_token</c> (JSON, XML or
/// form-encoded by Accept; GitHub's HTTP-200 error triples; one-time codes that expire after 10 minutes;
/// client secret and PKCE verifier checked), <c>/user</c>, <c>/user/orgs</c>, <c>/user/teams</c> (Link-header
/// pagination, page size capped by <see cref="MaxPerPage"/>), 401 "Bad credentials", 403 without a
/// User-Agent, 400 for an unsupported <c>X-GitHub-Api-Version</c>, and a rate limit that can be exhausted.
/// </summary>
/// <remarks>
/// Independent of the product's GitHub client on purpose (its own JSON, its own parsing), so a test
/// against it checks the client against GitHub's shapes rather than against itself. Where GitHub does
/// not document an answer (the error for a PKCE verifier that does not match), the fake answers as
/// GitHub's documentation implies and says so at that spot.
/// </remarks>
public sealed class FakeGitHub : IAsyncDisposable
{
    public const string ApiHost = "api.github.com";
    public const string WebHost = "github.com";

    /// <summary>GitHub's documented lifetime of an authorization code.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);

    private static readonly string[] SupportedApiVersions = ["2022-11-28", "2026-03-10"];

    private readonly object _gate = new();
    private readonly Dictionary<long, FakeGitHubUser> _users = [];
    private readonly List<(FakeGitHubOrg Org, HashSet<long> Members)> _orgs = [];
    private readonly List<(FakeGitHubTeam Team, HashSet<long> Members)> _teams = [];
    private readonly Dictionary<string, IssuedCode> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly List<FakeGitHubAuthorization> _authorizations = [];
    private readonly List<FakeGitHubApiRequest> _apiRequests = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _time;
    private readonly string _enterpriseHost;
    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2 _serverCertificate;
    private WebApplication? _app;
    private int _tokenRequests;
    private int _hungRequests;

    private sealed class IssuedCode(string clientId, FakeGitHubUser user, string redirectUri, string scopes, string? challenge, DateTimeOffset issuedAt)
    {
        public string ClientId { get; } = clientId;
        public FakeGitHubUser User { get; } = user;
        public string RedirectUri { get; } = redirectUri;
        public string Scopes { get; } = scopes;
        public string? Challenge { get; } = challenge;
        public DateTimeOffset IssuedAt { get; } = issuedAt;
        public bool Used { get; set; }
    }

    private sealed record IssuedToken(FakeGitHubUser User, string Scopes);

    private FakeGitHub(FakeGitHubLayout layout, string enterpriseHost, TimeProvider time)
    {
        Layout = layout;
        _enterpriseHost = enterpriseHost;
        _time = time;
        _ca = CreateCa();
        _serverCertificate = CreateServerCertificate(_ca, [WebHost, ApiHost, "localhost", enterpriseHost]);
        CaCertificatePem = _ca.ExportCertificatePem();
        // Shaped like GitHub's: "Ov23li" and 14 more for a current OAuth app id, 40 hex digits for a secret.
        ClientId = "Ov23li" + RandomString(14, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
        ClientSecret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
    }

    /// <summary>Starts a fake on a free loopback port. <paramref name="enterpriseHost"/> names the Enterprise host (reach other names than localhost through <see cref="ConnectAsync"/>).</summary>
    public static async Task<FakeGitHub> StartAsync(FakeGitHubLayout layout = FakeGitHubLayout.Enterprise, string enterpriseHost = "localhost",
        TimeProvider? timeProvider = null)
    {
        var fake = new FakeGitHub(layout, enterpriseHost, timeProvider ?? TimeProvider.System);
        try
        {
            await fake.StartServerAsync();
            return fake;
        }
        catch
        {
            await fake.DisposeAsync();
            throw;
        }
    }

    public FakeGitHubLayout Layout { get; }

    /// <summary>The loopback port the fake listens on.</summary>
    public int Port { get; private set; }

    /// <summary>What a GitHub setting's hostname is for this fake: <c>github.com</c>, or <c>HOST:PORT</c> for an Enterprise layout.</summary>
    public string Hostname => Layout == FakeGitHubLayout.GitHubCom ? WebHost : $"{_enterpriseHost}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The test CA that signed the fake's certificate (valid for github.com, api.github.com, localhost, 127.0.0.1 and the Enterprise host).</summary>
    public string CaCertificatePem { get; }

    public string ClientId { get; }

    public string ClientSecret { get; }

    /// <summary>
    /// When set, a redirect_uri must be this URL or below it (GitHub's rule: same scheme, host and port, path a
    /// subdirectory), and it is the default redirect. When null any absolute redirect_uri is accepted.
    /// </summary>
    public string? RegisteredCallbackUrl { get; set; }

    /// <summary>The user signed in to this GitHub in "the browser"; when null, authorize shows a login page instead of redirecting.</summary>
    public FakeGitHubUser? SignedInUser { get; set; }

    /// <summary>The signed-in user clicks "Cancel" on the authorize page: GitHub redirects with error=access_denied.</summary>
    public bool UserDeniesAccess { get; set; }

    /// <summary>The largest page the API serves, whatever per_page asks (GitHub's is 100); small so tests page.</summary>
    public int MaxPerPage { get; set; } = 2;

    /// <summary>When set, Link headers point at this authority (e.g. <c>evil.example</c>) instead of the request's.</summary>
    public string? LinkAuthorityOverride { get; set; }

    /// <summary>Requests left in the rate-limit window; at 0 the API answers 403 "API rate limit exceeded".</summary>
    public int RateLimitRemaining { get; set; } = 5000;

    public FakeGitHubHang Hang { get; set; }

    /// <summary>Requests to the token endpoint so far (counted on arrival, hung ones too).</summary>
    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>Requests now held by <see cref="Hang"/>, so a test can wait until its request is in.</summary>
    public int HungRequests => Volatile.Read(ref _hungRequests);

    public IReadOnlyList<FakeGitHubAuthorization> Authorizations
    {
        get
        {
            lock (_gate)
            {
                return [.. _authorizations];
            }
        }
    }

    public IReadOnlyList<FakeGitHubApiRequest> ApiRequests
    {
        get
        {
            lock (_gate)
            {
                return [.. _apiRequests];
            }
        }
    }

    public FakeGitHubUser AddUser(long id, string login, string? name = null)
    {
        var user = new FakeGitHubUser(id, login, name);
        lock (_gate)
        {
            _users.Add(id, user);
        }

        return user;
    }

    public FakeGitHubOrg AddOrg(long id, string login, params FakeGitHubUser[] members)
    {
        var org = new FakeGitHubOrg(id, login);
        lock (_gate)
        {
            _orgs.Add((org, [.. members.Select(member => member.Id)]));
        }

        return org;
    }

    /// <summary>A team of <paramref name="org"/>; its members become members of the org too, as on GitHub.</summary>
    public FakeGitHubTeam AddTeam(long id, FakeGitHubOrg org, string slug, string name, params FakeGitHubUser[] members)
    {
        var team = new FakeGitHubTeam(id, org, slug, name);
        lock (_gate)
        {
            _teams.Add((team, [.. members.Select(member => member.Id)]));
            var orgMembers = _orgs.Single(entry => entry.Org == org).Members;
            foreach (var member in members)
            {
                orgMembers.Add(member.Id);
            }
        }

        return team;
    }

    /// <summary>A token for <paramref name="user"/> without going through the web flow (e.g. for API-only tests).</summary>
    public string IssueToken(FakeGitHubUser user, string scopes = "read:org,read:user")
    {
        var token = NewToken();
        lock (_gate)
        {
            _tokens.Add(token, new IssuedToken(user, scopes));
        }

        return token;
    }

    /// <summary>The user revokes the app (or GitHub expires the token): the API answers 401 for it from now on.</summary>
    public void RevokeToken(string token)
    {
        lock (_gate)
        {
            _tokens.Remove(token);
        }
    }

    /// <summary>
    /// Connects to the fake whatever the host name (github.com, api.github.com, the Enterprise host, localhost),
    /// as a test's DNS would: set it as a <see cref="SocketsHttpHandler.ConnectCallback"/>. Other names do not resolve.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        if (!host.Equals(WebHost, StringComparison.OrdinalIgnoreCase) && !host.Equals(ApiHost, StringComparison.OrdinalIgnoreCase)
            && !host.Equals(_enterpriseHost, StringComparison.OrdinalIgnoreCase) && host is not ("localhost" or "127.0.0.1"))
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A handler that trusts the fake's CA, reaches every GitHub name through <see cref="ConnectAsync"/> and follows no redirect.</summary>
    public SocketsHttpHandler CreateHandler()
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificate(_ca.RawData));
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ConnectCallback = ConnectAsync };
        handler.SslOptions.CertificateChainPolicy = policy;
        return handler;
    }

    /// <summary>
    /// Does what a browser does with an authorize URL: GETs it and returns where GitHub's 302 sends it
    /// (the redirect URI with <c>code</c> and <c>state</c>, or with <c>error</c>). Fails if GitHub did not redirect.
    /// </summary>
    public async Task<Uri> AuthorizeAsBrowserAsync(Uri authorizeUri, CancellationToken cancellationToken = default)
    {
        using var browser = new HttpClient(CreateHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await browser.GetAsync(authorizeUri, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Found || response.Headers.Location is not { } location)
        {
            throw new InvalidOperationException(
                $"GitHub's authorize page answered {(int)response.StatusCode} instead of redirecting: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return location;
    }

    /// <summary>A query parameter of <paramref name="uri"/> (e.g. the code or state of a callback URL), or null.</summary>
    public static string? QueryValue(Uri uri, string name)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var values = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query);
        return values.TryGetValue(name, out var value) ? value.ToString() : null;
    }

    public async ValueTask DisposeAsync()
    {
        // Releases hung requests first, so stopping does not wait for them.
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _app.StopAsync(stopTimeout.Token);
            await _app.DisposeAsync();
        }

        _stopping.Dispose();
        _serverCertificate.Dispose();
        _ca.Dispose();
    }

    private async Task StartServerAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_serverCertificate));
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
    }

    private Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (Layout == FakeGitHubLayout.GitHubCom)
        {
            return context.Request.Host.Host.Equals(ApiHost, StringComparison.OrdinalIgnoreCase)
                ? HandleApiAsync(context, path, "")
                : HandleWebAsync(context, path);
        }

        const string Prefix = "/api/v3";
        return path.StartsWith(Prefix + "/", StringComparison.Ordinal)
            ? HandleApiAsync(context, path[Prefix.Length..], Prefix)
            : HandleWebAsync(context, path);
    }

    private Task HandleWebAsync(HttpContext context, string path) => path switch
    {
        "/login/oauth/authorize" when HttpMethods.IsGet(context.Request.Method) => AuthorizeAsync(context),
        "/login/oauth/access_token" when HttpMethods.IsPost(context.Request.Method) => AccessTokenAsync(context),
        _ => WriteTextAsync(context, StatusCodes.Status404NotFound, "text/html; charset=utf-8", "<!DOCTYPE html><html><body>Not Found</body></html>"),
    };

    // GET /login/oauth/authorize: GitHub's consent page. The signed-in user has already authorized the app,
    // so GitHub redirects straight back, as it does on a second sign-in.
    private Task AuthorizeAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string? Value(string name) => query.TryGetValue(name, out var value) ? value.ToString() : null;
        var clientId = Value("client_id");
        var redirectUri = Value("redirect_uri");
        var state = Value("state");
        var challenge = Value("code_challenge");
        var challengeMethod = Value("code_challenge_method");
        lock (_gate)
        {
            _authorizations.Add(new FakeGitHubAuthorization(clientId, redirectUri, Value("scope"), state, challenge, challengeMethod));
        }

        if (clientId != ClientId)
        {
            // GitHub shows its 404 page for an unknown application.
            return WriteTextAsync(context, StatusCodes.Status404NotFound, "text/html; charset=utf-8", "<!DOCTYPE html><html><body>Not Found</body></html>");
        }

        var callback = redirectUri ?? RegisteredCallbackUrl;
        if (callback is null || !Uri.TryCreate(callback, UriKind.Absolute, out _))
        {
            return WriteTextAsync(context, StatusCodes.Status400BadRequest, "text/html; charset=utf-8", "<html><body>The redirect_uri is missing or not a URL.</body></html>");
        }

        if (RegisteredCallbackUrl is { } registered && !IsUnderCallback(callback, registered))
        {
            // GitHub sends the browser to the registered callback with the error (troubleshooting-authorization-request-errors).
            return RedirectAsync(context, registered,
                ("error", "redirect_uri_mismatch"),
                ("error_description", "The redirect_uri MUST match the registered callback URL for this application."),
                ("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch"),
                ("state", state));
        }

        if (SignedInUser is not { } user)
        {
            return WriteTextAsync(context, StatusCodes.Status200OK, "text/html; charset=utf-8", "<!DOCTYPE html><html><body><form action=\"/session\">Sign in to GitHub</form></body></html>");
        }

        if (UserDeniesAccess)
        {
            return RedirectAsync(context, callback,
                ("error", "access_denied"),
                ("error_description", "The user has denied your application access."),
                ("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied"),
                ("state", state));
        }

        if (challenge is not null && challengeMethod != "S256")
        {
            // GitHub accepts only S256 (changelog 2025-07-14); the exact error it sends is not documented.
            return RedirectAsync(context, callback,
                ("error", "invalid_request"),
                ("error_description", "Only the S256 code_challenge_method is supported."),
                ("state", state));
        }

        var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
        lock (_gate)
        {
            _codes.Add(code, new IssuedCode(clientId, user, callback, NormaliseScopes(Value("scope")), challenge, _time.GetUtcNow()));
        }

        return RedirectAsync(context, callback, ("code", code), ("state", state));
    }

    // POST /login/oauth/access_token. Parameters from the form body or the query string, as GitHub takes both.
    private async Task AccessTokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenRequests);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in context.Request.Query)
        {
            parameters[name] = value.ToString();
        }

        if (context.Request.HasFormContentType)
        {
            foreach (var (name, value) in await context.Request.ReadFormAsync(context.RequestAborted))
            {
                parameters[name] = value.ToString();
            }
        }

        if (Hang.HasFlag(FakeGitHubHang.TokenEndpoint))
        {
            await HangAsync(context);
            return;
        }

        string? Value(string name) => parameters.TryGetValue(name, out var value) ? value : null;
        if (Value("client_id") != ClientId || Value("client_secret") != ClientSecret)
        {
            await WriteTokenErrorAsync(context, "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.",
                "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials");
            return;
        }

        IssuedCode? issued;
        lock (_gate)
        {
            if (Value("code") is { } code && _codes.TryGetValue(code, out issued)
                && !issued.Used && issued.ClientId == ClientId && _time.GetUtcNow() - issued.IssuedAt < CodeLifetime)
            {
                // One presentation per code, whatever comes of it (RFC 6749 section 4.1.2).
                issued.Used = true;
            }
            else
            {
                issued = null;
            }
        }

        const string BadCodeUri = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code";
        if (issued is null)
        {
            await WriteTokenErrorAsync(context, "bad_verification_code", "The code passed is incorrect or expired.", BadCodeUri);
            return;
        }

        if (Value("redirect_uri") is { } redirectUri && redirectUri != issued.RedirectUri)
        {
            await WriteTokenErrorAsync(context, "redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.",
                "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch2");
            return;
        }

        if (issued.Challenge is { } challenge
            && (Value("code_verifier") is not { } verifier || !CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(S256(verifier)), Encoding.ASCII.GetBytes(challenge))))
        {
            // GitHub does not document its answer to a wrong verifier; its docs say a code that "doesn't match
            // what you received in the first request for authorization" gets bad_verification_code.
            await WriteTokenErrorAsync(context, "bad_verification_code", "The code passed is incorrect or expired.", BadCodeUri);
            return;
        }

        var token = NewToken();
        lock (_gate)
        {
            _tokens.Add(token, new IssuedToken(issued.User, issued.Scopes));
        }

        await WriteTokenAnswerAsync(context, [("access_token", token), ("token_type", "bearer"), ("scope", issued.Scopes)]);
    }

    private Task WriteTokenErrorAsync(HttpContext context, string error, string description, string uri)
        // GitHub answers OAuth errors with 200, in the format the Accept header asked for.
        => WriteTokenAnswerAsync(context, [("error", error), ("error_description", description), ("error_uri", uri)]);

    private static Task WriteTokenAnswerAsync(HttpContext context, (string Name, string Value)[] fields)
    {
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase))
        {
            var json = new JsonObject();
            foreach (var (name, value) in fields)
            {
                json[name] = value;
            }

            return WriteTextAsync(context, StatusCodes.Status200OK, "application/json; charset=utf-8", json.ToJsonString());
        }

        if (accept.Contains("application/xml", StringComparison.OrdinalIgnoreCase))
        {
            var xml = new StringBuilder("<OAuth>");
            foreach (var (name, value) in fields)
            {
                xml.Append('<').Append(name).Append('>').Append(System.Security.SecurityElement.Escape(value)).Append("</").Append(name).Append('>');
            }

            return WriteTextAsync(context, StatusCodes.Status200OK, "application/xml; charset=utf-8", xml.Append("</OAuth>").ToString());
        }

        return WriteTextAsync(context, StatusCodes.Status200OK, "application/x-www-form-urlencoded; charset=utf-8",
            string.Join('&', fields.Select(field => field.Name + "=" + Uri.EscapeDataString(field.Value))));
    }

    private async Task HandleApiAsync(HttpContext context, string path, string prefix)
    {
        var request = context.Request;
        var authorization = request.Headers.Authorization.ToString();
        lock (_gate)
        {
            _apiRequests.Add(new FakeGitHubApiRequest(request.Host.Value ?? "", prefix + path, request.QueryString.Value ?? "",
                NullIfEmpty(authorization), NullIfEmpty(request.Headers.Accept.ToString()),
                NullIfEmpty(request.Headers["X-GitHub-Api-Version"].ToString()), NullIfEmpty(request.Headers.UserAgent.ToString())));
        }

        if (StringValues.IsNullOrEmpty(request.Headers.UserAgent))
        {
            await WriteTextAsync(context, StatusCodes.Status403Forbidden, "text/plain; charset=utf-8",
                "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n");
            return;
        }

        if (Hang.HasFlag(FakeGitHubHang.Api))
        {
            await HangAsync(context);
            return;
        }

        AddApiHeaders(context);
        if (request.Headers["X-GitHub-Api-Version"].ToString() is { Length: > 0 } version && !SupportedApiVersions.Contains(version))
        {
            await WriteApiErrorAsync(context, StatusCodes.Status400BadRequest, $"API version {version} is not supported.",
                "https://docs.github.com/rest/overview/api-versions");
            return;
        }

        IssuedToken? token = null;
        var separator = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = separator > 0 ? authorization[..separator] : "";
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || scheme.Equals("token", StringComparison.OrdinalIgnoreCase))
        {
            lock (_gate)
            {
                _tokens.TryGetValue(authorization[(separator + 1)..].Trim(), out token);
            }
        }

        if (token is null)
        {
            await (authorization.Length == 0
                ? WriteApiErrorAsync(context, StatusCodes.Status401Unauthorized, "Requires authentication",
                    "https://docs.github.com/rest/users/users#get-the-authenticated-user")
                : WriteApiErrorAsync(context, StatusCodes.Status401Unauthorized, "Bad credentials", "https://docs.github.com/rest"));
            return;
        }

        context.Response.Headers["X-OAuth-Scopes"] = token.Scopes.Replace(",", ", ", StringComparison.Ordinal);
        bool exhausted;
        int remaining;
        lock (_gate)
        {
            exhausted = RateLimitRemaining <= 0;
            if (!exhausted)
            {
                RateLimitRemaining--;
            }

            remaining = Math.Max(0, RateLimitRemaining);
        }

        context.Response.Headers["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        if (exhausted)
        {
            await WriteApiErrorAsync(context, StatusCodes.Status403Forbidden, $"API rate limit exceeded for user ID {token.User.Id}.",
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api");
            return;
        }

        var apiBase = $"https://{request.Host.Value}{prefix}";
        var linkBase = $"https://{LinkAuthorityOverride ?? request.Host.Value}{prefix}";
        if (!HttpMethods.IsGet(request.Method))
        {
            await WriteApiErrorAsync(context, StatusCodes.Status404NotFound, "Not Found", "https://docs.github.com/rest");
            return;
        }

        switch (path)
        {
            case "/user":
                context.Response.Headers["X-Accepted-OAuth-Scopes"] = "";
                await WriteJsonAsync(context, UserJson(token.User, apiBase));
                break;
            case "/user/orgs":
                context.Response.Headers["X-Accepted-OAuth-Scopes"] = "admin:org, read:org, repo, user, write:org";
                await WritePageAsync(context, linkBase, path, OrgsOf(token.User).Select(org => (JsonNode)OrgJson(org, apiBase)).ToList());
                break;
            case "/user/teams":
                context.Response.Headers["X-Accepted-OAuth-Scopes"] = "admin:org, read:org, repo, user, write:org";
                await WritePageAsync(context, linkBase, path, TeamsOf(token.User).Select(team => (JsonNode)TeamJson(team, apiBase)).ToList());
                break;
            default:
                await WriteApiErrorAsync(context, StatusCodes.Status404NotFound, "Not Found", "https://docs.github.com/rest");
                break;
        }
    }

    private List<FakeGitHubOrg> OrgsOf(FakeGitHubUser user)
    {
        lock (_gate)
        {
            return [.. _orgs.Where(entry => entry.Members.Contains(user.Id)).Select(entry => entry.Org)];
        }
    }

    private List<FakeGitHubTeam> TeamsOf(FakeGitHubUser user)
    {
        lock (_gate)
        {
            return [.. _teams.Where(entry => entry.Members.Contains(user.Id)).Select(entry => entry.Team)];
        }
    }

    // GitHub's pagination: per_page (default 30, at most 100 there, MaxPerPage here) and page (from 1), with
    // Link: <…page=N>; rel="prev", <…>; rel="next", <…>; rel="last", <…>; rel="first" (each only where it applies).
    private Task WritePageAsync(HttpContext context, string linkBase, string path, List<JsonNode> items)
    {
        var query = context.Request.Query;
        var perPage = int.TryParse(query["per_page"], NumberStyles.None, CultureInfo.InvariantCulture, out var asked) && asked > 0 ? asked : 30;
        perPage = Math.Min(perPage, Math.Min(100, MaxPerPage));
        var page = int.TryParse(query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var askedPage) && askedPage > 0 ? askedPage : 1;
        var lastPage = Math.Max(1, (items.Count + perPage - 1) / perPage);

        string PageUrl(int number)
        {
            var parameters = query.Where(pair => pair.Key != "page").Select(pair => pair.Key + "=" + Uri.EscapeDataString(pair.Value.ToString()))
                .Append("page=" + number.ToString(CultureInfo.InvariantCulture));
            return $"<{linkBase}{path}?{string.Join('&', parameters)}>";
        }

        var links = new List<string>();
        if (page > 1)
        {
            links.Add(PageUrl(Math.Min(page - 1, lastPage)) + "; rel=\"prev\"");
        }

        if (page < lastPage)
        {
            links.Add(PageUrl(page + 1) + "; rel=\"next\"");
            links.Add(PageUrl(lastPage) + "; rel=\"last\"");
        }

        if (page > 1)
        {
            links.Add(PageUrl(1) + "; rel=\"first\"");
        }

        if (links.Count > 0)
        {
            context.Response.Headers["Link"] = string.Join(", ", links);
        }

        var array = new JsonArray([.. items.Skip((page - 1) * perPage).Take(perPage).Select(item => item.DeepClone())]);
        return WriteJsonAsync(context, array);
    }

    private void AddApiHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers["X-GitHub-Media-Type"] = "github.v3; format=json";
        headers["X-GitHub-Api-Version-Selected"] = "2022-11-28";
        headers["X-RateLimit-Limit"] = "5000";
        headers["X-RateLimit-Remaining"] = RateLimitRemaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = _time.GetUtcNow().AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Resource"] = "core";
        headers["X-GitHub-Request-Id"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        if (Layout == FakeGitHubLayout.Enterprise)
        {
            headers["X-GitHub-Enterprise-Version"] = "3.17.0";
        }
    }

    private static JsonObject UserJson(FakeGitHubUser user, string apiBase) => new()
    {
        ["login"] = user.Login,
        ["id"] = user.Id,
        ["node_id"] = NodeId("User", user.Id),
        ["avatar_url"] = $"https://avatars.githubusercontent.com/u/{user.Id}?v=4",
        ["gravatar_id"] = "",
        ["url"] = $"{apiBase}/users/{user.Login}",
        ["html_url"] = $"https://github.com/{user.Login}",
        ["organizations_url"] = $"{apiBase}/users/{user.Login}/orgs",
        ["repos_url"] = $"{apiBase}/users/{user.Login}/repos",
        ["type"] = "User",
        ["user_view_type"] = "public",
        ["site_admin"] = false,
        ["name"] = user.Name,
        ["company"] = null,
        ["blog"] = "",
        ["location"] = null,
        ["email"] = null,
        ["hireable"] = null,
        ["bio"] = null,
        ["twitter_username"] = null,
        ["public_repos"] = 2,
        ["public_gists"] = 0,
        ["followers"] = 1,
        ["following"] = 0,
        ["created_at"] = "2011-01-25T18:44:36Z",
        ["updated_at"] = "2025-06-01T12:00:00Z",
    };

    private static JsonObject OrgJson(FakeGitHubOrg org, string apiBase) => new()
    {
        ["login"] = org.Login,
        ["id"] = org.Id,
        ["node_id"] = NodeId("Organization", org.Id),
        ["url"] = $"{apiBase}/orgs/{org.Login}",
        ["repos_url"] = $"{apiBase}/orgs/{org.Login}/repos",
        ["events_url"] = $"{apiBase}/orgs/{org.Login}/events",
        ["hooks_url"] = $"{apiBase}/orgs/{org.Login}/hooks",
        ["issues_url"] = $"{apiBase}/orgs/{org.Login}/issues",
        ["members_url"] = $"{apiBase}/orgs/{org.Login}/members{{/member}}",
        ["public_members_url"] = $"{apiBase}/orgs/{org.Login}/public_members{{/member}}",
        ["avatar_url"] = $"https://avatars.githubusercontent.com/u/{org.Id}?v=4",
        ["description"] = null,
    };

    private static JsonObject TeamJson(FakeGitHubTeam team, string apiBase)
    {
        var organization = OrgJson(team.Organization, apiBase);
        organization["name"] = team.Organization.Login;
        organization["type"] = "Organization";
        return new JsonObject
        {
            ["name"] = team.Name,
            ["id"] = team.Id,
            ["node_id"] = NodeId("Team", team.Id),
            ["slug"] = team.Slug,
            ["description"] = "",
            ["privacy"] = "closed",
            ["notification_setting"] = "notifications_enabled",
            ["url"] = $"{apiBase}/teams/{team.Id}",
            ["html_url"] = $"https://github.com/orgs/{team.Organization.Login}/teams/{team.Slug}",
            ["members_url"] = $"{apiBase}/teams/{team.Id}/members{{/member}}",
            ["repositories_url"] = $"{apiBase}/teams/{team.Id}/repos",
            ["permission"] = "pull",
            ["parent"] = null,
            ["members_count"] = 1,
            ["repos_count"] = 0,
            ["created_at"] = "2017-07-14T16:53:42Z",
            ["updated_at"] = "2025-08-17T12:37:15Z",
            ["organization"] = organization,
        };
    }

    // GitHub's legacy global node ids: base64 of "<len>:<Type><id>" (e.g. MDQ6VXNlcjE= for user 1).
    private static string NodeId(string type, long id)
    {
        var name = type + id.ToString(CultureInfo.InvariantCulture);
        return Convert.ToBase64String(Encoding.ASCII.GetBytes($"{type.Length.ToString("00", CultureInfo.InvariantCulture)}:{name}"));
    }

    private async Task HangAsync(HttpContext context)
    {
        Interlocked.Increment(ref _hungRequests);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            await Task.Delay(Timeout.Infinite, linked.Token);
        }
        catch (OperationCanceledException)
        {
            // The client gave up or the fake is stopping: nothing to answer.
        }
        finally
        {
            Interlocked.Decrement(ref _hungRequests);
        }
    }

    private static Task WriteApiErrorAsync(HttpContext context, int status, string message, string documentationUrl)
        => WriteTextAsync(context, status, "application/json; charset=utf-8", new JsonObject
        {
            ["message"] = message,
            ["documentation_url"] = documentationUrl,
            ["status"] = status.ToString(CultureInfo.InvariantCulture),
        }.ToJsonString());

    private static Task WriteJsonAsync(HttpContext context, JsonNode json)
        => WriteTextAsync(context, StatusCodes.Status200OK, "application/json; charset=utf-8", json.ToJsonString());

    private static Task WriteTextAsync(HttpContext context, int status, string contentType, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static Task RedirectAsync(HttpContext context, string target, params (string Name, string? Value)[] parameters)
    {
        var query = string.Join('&', parameters.Where(parameter => parameter.Value is not null)
            .Select(parameter => parameter.Name + "=" + Uri.EscapeDataString(parameter.Value!)));
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = target + (target.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
        return Task.CompletedTask;
    }

    // GitHub's rule: same scheme, host and port; the path equal to the callback's or below it.
    private static bool IsUnderCallback(string redirectUri, string registered)
    {
        if (!Uri.TryCreate(redirectUri, UriKind.Absolute, out var redirect) || !Uri.TryCreate(registered, UriKind.Absolute, out var callback))
        {
            return false;
        }

        var callbackPath = callback.AbsolutePath.TrimEnd('/');
        return redirect.Scheme == callback.Scheme && string.Equals(redirect.Host, callback.Host, StringComparison.OrdinalIgnoreCase)
               && redirect.Port == callback.Port
               && (redirect.AbsolutePath.TrimEnd('/') == callbackPath || redirect.AbsolutePath.StartsWith(callbackPath + "/", StringComparison.Ordinal));
    }

    // GitHub reports granted scopes comma-separated, whatever separator the request used.
    private static string NormaliseScopes(string? scope)
        => string.Join(',', (scope ?? "").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    private static string S256(string verifier)
        => Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string NewToken() => "gho_" + RandomString(36, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

    private static string RandomString(int length, string alphabet) => RandomNumberGenerator.GetString(alphabet, length);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static X509Certificate2 CreateCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Fake GitHub Test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    private static X509Certificate2 CreateServerCertificate(X509Certificate2 ca, string[] dnsNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=github.com", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        foreach (var name in dnsNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        // Not past the CA's expiry: certificate times have whole seconds (see TestCertificates.CreateServer).
        var notAfter = now.AddDays(1) < ca.NotAfter ? now.AddDays(1) : new DateTimeOffset(ca.NotAfter);
        using var certificate = request.Create(ca, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        using var withKey = certificate.CopyWithPrivateKey(key);
        // Through PKCS#12 so the key is a persisted one that every TLS backend accepts for a server.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
