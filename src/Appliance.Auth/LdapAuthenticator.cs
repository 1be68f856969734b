using System.DirectoryServices.Protocols;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Auth;

/// <summary>
/// Logs users in against OpenLDAP or Active Directory: search the user with the service account
/// (the login name escaped into the filter), bind as the entry found with the given password, then
/// collect the user's groups, nested ones included.
/// </summary>
/// <remarks>
/// System.DirectoryServices.Protocols is synchronous and, on Linux, a thin layer over OpenLDAP's
/// libldap; its binds have no timeout of their own. Each attempt therefore runs on a dedicated
/// thread and the caller waits at most <see cref="LdapSettings.Timeout"/>; a server that never
/// answers costs one parked thread until it closes the connection, never a hung login, and at
/// most <see cref="MaximumAttemptsInFlight"/> threads are ever parked.
/// </remarks>
public sealed partial class LdapAuthenticator : IDisposable
{
    private readonly LdapSettings _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly string? _caDirectory;

    // Threads still blocked in libldap, including those whose login already gave up on them.
    private int _attemptsInFlight;

    /// <summary>
    /// Bounds the threads one directory can tie up: a directory that hangs while users keep
    /// retrying would otherwise cost a thread per attempt. Far above what a healthy directory
    /// needs, where an attempt takes milliseconds.
    /// </summary>
    public const int DefaultMaximumAttemptsInFlight = 64;

    public LdapAuthenticator(LdapSettings settings, ILogger<LdapAuthenticator>? logger = null, TimeProvider? timeProvider = null)
        : this(settings, logger, timeProvider, DefaultMaximumAttemptsInFlight)
    {
    }

    internal LdapAuthenticator(LdapSettings settings, ILogger<LdapAuthenticator>? logger, TimeProvider? timeProvider, int maximumAttemptsInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumAttemptsInFlight, 1);
        MaximumAttemptsInFlight = maximumAttemptsInFlight;
        ArgumentNullException.ThrowIfNull(settings);
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid LDAP settings: " + string.Join(" ", problems), nameof(settings));
        }

        _settings = settings;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        if (settings.TlsMode != LdapTlsMode.None && settings.CaCertificatesPem is { } pem)
        {
            // libldap takes trust anchors from a file or a directory, not from memory, and setting
            // a verification callback makes every TLS connection fail on Linux (PLATFORM-NOTES.md,
            // "LDAP"). A private directory (0700, made by CreateTempSubdirectory) holds the bundle.
            _caDirectory = Directory.CreateTempSubdirectory("appliance-ldap-ca-").FullName;
            File.WriteAllText(Path.Combine(_caDirectory, "ca.pem"), pem);
        }
    }

    public int MaximumAttemptsInFlight { get; }

    /// <summary>Authenticates <paramref name="username"/>; never throws for a refusal or an unreachable directory.</summary>
    public async Task<LdapLoginResult> LoginAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length == 0)
        {
            // Before any bind: a simple bind with a DN and an empty password is an unauthenticated
            // bind, which most directories answer with success (RFC 4513 section 5.1.2).
            return Refused(username, LdapLoginStatus.EmptyPassword);
        }

        if (string.IsNullOrWhiteSpace(username))
        {
            return Refused(username, LdapLoginStatus.UserNotFound);
        }

        var filter = $"(&(objectClass={_settings.UserObjectClass})({_settings.LoginAttribute}={LdapFilter.Escape(username)}))";
        var (result, server) = await FailOverAsync(
            (host, timeout) => Attempt(host, filter, username, password, timeout), cancellationToken).ConfigureAwait(false);
        if (result.User is { } user)
        {
            Log.LdapLoginSucceeded(_logger, user.LoginName, user.Principal.ToString(), user.DistinguishedName, server!, user.Groups.Count);
            return result;
        }

        return Refused(username, result.Status);
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> against each server in turn until one answers (a refusal is an
    /// answer); returns that answer and its server, or the most telling failure when none answered.
    /// </summary>
    private async Task<(LdapLoginResult Result, string? Server)> FailOverAsync(Func<string, TimeSpan, LdapLoginResult> attempt, CancellationToken cancellationToken)
    {
        var worst = LdapLoginStatus.ServerUnavailable;
        foreach (var server in _settings.Servers)
        {
            var result = await AttemptAsync(server, remaining => attempt(server, remaining), cancellationToken).ConfigureAwait(false);
            if (result.Status is not (LdapLoginStatus.ServerUnavailable or LdapLoginStatus.Timeout or LdapLoginStatus.TlsFailure))
            {
                return (result, server);
            }

            Log.LdapServerFailed(_logger, server, _settings.Port, result.Status);
            // A TLS failure says the most about what to fix, a timeout more than a refused connection.
            if (result.Status == LdapLoginStatus.TlsFailure || (result.Status == LdapLoginStatus.Timeout && worst != LdapLoginStatus.TlsFailure))
            {
                worst = result.Status;
            }
        }

        return (LdapLoginResult.Failure(worst), null);
    }

    private LdapLoginResult Refused(string username, LdapLoginStatus status)
    {
        Log.LdapLoginRefused(_logger, username, status);
        return LdapLoginResult.Failure(status);
    }

    private async Task<LdapLoginResult> AttemptAsync(string server, Func<TimeSpan, LdapLoginResult> attempt, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _attemptsInFlight) >= MaximumAttemptsInFlight)
        {
            // Every allowed thread is still waiting on a directory: it is hanging, and another
            // attempt would only park one more thread.
            return LdapLoginResult.Failure(LdapLoginStatus.Timeout);
        }

        var started = _timeProvider.GetTimestamp();

        // A TCP connect of our own first: libldap reports "server down" both for a closed port and
        // for a failed LDAPS handshake, and only a completed connect tells the two apart.
        using (var probe = new Socket(SocketType.Stream, ProtocolType.Tcp))
        using (var timeout = new CancellationTokenSource(_settings.Timeout, _timeProvider))
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                await probe.ConnectAsync(server, _settings.Port, connectTimeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return LdapLoginResult.Failure(LdapLoginStatus.ServerUnavailable);
            }
            catch (SocketException)
            {
                return LdapLoginResult.Failure(LdapLoginStatus.ServerUnavailable);
            }
        }

        var remaining = _settings.Timeout - _timeProvider.GetElapsedTime(started);
        if (remaining <= TimeSpan.Zero)
        {
            return LdapLoginResult.Failure(LdapLoginStatus.Timeout);
        }

        // A dedicated thread, not a pool thread: a bind to a silent server blocks it until the
        // server hangs up, and a few of those must not starve the pool that serves requests.
        Interlocked.Increment(ref _attemptsInFlight);
        var running = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    return attempt(remaining);
                }
                finally
                {
                    Interlocked.Decrement(ref _attemptsInFlight);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            var result = await running.WaitAsync(remaining, _timeProvider, cancellationToken).ConfigureAwait(false);

            // libldap gives up on a silent server with "server down" (81), and on a busy machine that can
            // beat our own timer. The probe proved the server reachable, so a give-up once the budget is
            // spent is a server that did not answer in time.
            return result.Status == LdapLoginStatus.ServerUnavailable && _timeProvider.GetElapsedTime(started) >= _settings.Timeout
                ? LdapLoginResult.Failure(LdapLoginStatus.Timeout)
                : result;
        }
        catch (TimeoutException)
        {
            return LdapLoginResult.Failure(LdapLoginStatus.Timeout);
        }
    }

    /// <summary>
    /// One exchange with one server: find the single entry <paramref name="userFilter"/> matches (as the
    /// service account), bind as it with <paramref name="password"/> unless that is null (a lookup by
    /// the service account alone), then collect its groups.
    /// </summary>
    private LdapLoginResult Attempt(string server, string userFilter, string fallbackName, string? password, TimeSpan timeout)
    {
        var stage = LdapStage.Tls;
        try
        {
            using var connection = Open(server, timeout);
            if (_settings.TlsMode == LdapTlsMode.StartTls)
            {
                // On Linux StartTLS before any bind fails with error 81 (a known .NET issue); an
                // anonymous bind first works, and carries no credential.
                connection.AuthType = AuthType.Anonymous;
                connection.Bind();
                connection.SessionOptions.StartTransportLayerSecurity(null);
                connection.AuthType = AuthType.Basic;
            }

            stage = LdapStage.ServiceBind;
            var serviceAccount = new NetworkCredential(_settings.ServiceAccountDn, _settings.ServiceAccountPassword);
            connection.Bind(serviceAccount);

            stage = LdapStage.UserSearch;
            var entries = FindUser(connection, userFilter, timeout);
            if (entries is null || entries.Count > 1)
            {
                return LdapLoginResult.Failure(LdapLoginStatus.AmbiguousUser);
            }

            if (entries.Count == 0)
            {
                return LdapLoginResult.Failure(LdapLoginStatus.UserNotFound);
            }

            var entry = entries[0];
            if (ReadPrincipal(entry, _settings.UserPrincipalKind) is not { } principal)
            {
                Log.LdapDirectoryError(_logger, server, "user search", 0, $"the user entry has no usable {_settings.UniqueIdAttribute}");
                return LdapLoginResult.Failure(LdapLoginStatus.DirectoryError);
            }

            if (password is not null)
            {
                stage = LdapStage.UserBind;
                connection.Bind(new NetworkCredential(entry.DistinguishedName, password));
            }

            // After the user's bind, never before it: refusing a disabled account up front would tell
            // anyone who knows only the login name that the account exists and is disabled.
            if (CheckEnabled(server, entry) is { } refusal)
            {
                return LdapLoginResult.Failure(refusal);
            }

            stage = LdapStage.GroupSearch;
            if (password is not null)
            {
                // Back to the service account: the user may not be allowed to read groups.
                connection.Bind(serviceAccount);
            }

            var loginName = ReadString(entry, _settings.LoginAttribute) ?? fallbackName;
            var groups = ResolveGroups(connection, entry, loginName, timeout);
            var displayName = ReadString(entry, _settings.DisplayNameAttribute) ?? loginName;
            return LdapLoginResult.Success(new LdapUser(principal, entry.DistinguishedName, displayName, loginName, groups));
        }
        catch (LdapException exception)
        {
            return Classify(server, stage, exception.ErrorCode, exception.ServerErrorMessage);
        }
        catch (TlsOperationException exception)
        {
            Log.LdapDirectoryError(_logger, server, stage.ToString(), 0, exception.Message);
            return LdapLoginResult.Failure(LdapLoginStatus.TlsFailure);
        }
        catch (DirectoryOperationException exception)
        {
            var code = exception.Response is { } response ? (int)response.ResultCode : 0;
            return Classify(server, stage, code, exception.Response?.ErrorMessage ?? exception.Message);
        }
    }

    private LdapLoginResult Classify(string server, LdapStage stage, int errorCode, string? serverMessage)
    {
        const int InvalidCredentials = 49;
        const int Unavailable = 52;
        const int ServerDown = 81;
        const int LocalTimeout = 85;
        const int ConnectError = 91;
        // libldap's own LDAP_SERVER_DOWN and LDAP_CONNECT_ERROR, should they come through unmapped.
        const int LibLdapServerDown = -1;
        const int LibLdapConnectError = -11;
        switch (errorCode)
        {
            case InvalidCredentials when stage == LdapStage.UserBind:
                return LdapLoginResult.Failure(StatusOfRefusedBind(serverMessage));
            case InvalidCredentials when stage == LdapStage.ServiceBind:
                return LdapLoginResult.Failure(LdapLoginStatus.ServiceAccountRejected);
            case LocalTimeout:
                return LdapLoginResult.Failure(LdapLoginStatus.Timeout);
            case ServerDown or ConnectError or Unavailable or LibLdapServerDown or LibLdapConnectError:
                // The TCP probe connected, so a failure on first contact over TLS is the handshake.
                var tlsHandshake = stage == LdapStage.Tls
                                   || (stage == LdapStage.ServiceBind && _settings.TlsMode == LdapTlsMode.Ldaps);
                return LdapLoginResult.Failure(tlsHandshake ? LdapLoginStatus.TlsFailure : LdapLoginStatus.ServerUnavailable);
            default:
                if (stage == LdapStage.Tls)
                {
                    return LdapLoginResult.Failure(LdapLoginStatus.TlsFailure);
                }

                Log.LdapDirectoryError(_logger, server, stage.ToString(), errorCode, serverMessage);
                return LdapLoginResult.Failure(LdapLoginStatus.DirectoryError);
        }
    }

    private LdapConnection Open(string server, TimeSpan timeout)
    {
        var identifier = new LdapDirectoryIdentifier(server, _settings.Port, fullyQualifiedDnsHostName: false, connectionless: false);
        var connection = new LdapConnection(identifier)
        {
            AuthType = AuthType.Basic,
            AutoBind = false,
            // Bounds each search (libldap's ldap_result wait); binds are bounded by AttemptAsync.
            Timeout = timeout,
        };
        var options = connection.SessionOptions;
        options.ProtocolVersion = 3;
        // Referrals would make libldap bind elsewhere on its own (AD answers searches at a domain
        // root with them); we only ever talk to the servers configured.
        options.ReferralChasing = ReferralChasingOptions.None;
        if (_settings.TlsMode == LdapTlsMode.Ldaps)
        {
            options.SecureSocketLayer = true;
        }

        if (_caDirectory is not null)
        {
            // libldap verifies chain and host name by default (TLS_REQCERT demand); these only
            // replace the trust anchors. The new TLS context makes libldap read them.
            options.TrustedCertificatesDirectory = _caDirectory;
            options.StartNewTlsSessionContext();
        }

        return connection;
    }

    private List<SearchResultEntry>? FindUser(LdapConnection connection, string filter, TimeSpan timeout)
    {
        List<string> attributes = [_settings.UniqueIdAttribute, _settings.LoginAttribute, _settings.DisplayNameAttribute];
        if (_settings.UserEnabledAttribute.Length > 0)
        {
            attributes.Add(_settings.UserEnabledAttribute);
        }

        if (_settings.GroupMembership == LdapGroupMembership.MemberOf)
        {
            attributes.Add("memberOf");
        }

        // Two is enough to know the name is ambiguous; the directory need not send more.
        var request = new SearchRequest(_settings.UserSearchBase, filter, SearchScope.Subtree, [.. attributes]) { SizeLimit = 2 };
        try
        {
            var response = (SearchResponse)connection.SendRequest(request, timeout);
            var entries = new List<SearchResultEntry>(response.Entries.Count);
            foreach (SearchResultEntry entry in response.Entries)
            {
                entries.Add(entry);
            }

            return entries;
        }
        catch (DirectoryOperationException exception) when (exception.Response?.ResultCode == ResultCode.SizeLimitExceeded)
        {
            return null;
        }
    }

    private PrincipalId? ReadPrincipal(SearchResultEntry entry, PrincipalKind kind)
    {
        if (FindAttribute(entry, _settings.UniqueIdAttribute) is not { Count: > 0 } attribute)
        {
            return null;
        }

        string? id;
        if (_settings.UniqueIdIsBinaryGuid)
        {
            // objectGUID is 16 raw bytes in the little-endian layout System.Guid reads.
            var bytes = attribute.GetValues(typeof(byte[]));
            id = bytes.Length > 0 && bytes[0] is byte[] { Length: 16 } raw ? new Guid(raw).ToString("D") : null;
        }
        else
        {
            id = attribute.GetValues(typeof(string)) is [string text, ..] ? text : null;
        }

        return PrincipalId.TryCreate(kind, id, out var principal) ? principal : null;
    }

    private static string? ReadString(SearchResultEntry entry, string attributeName)
        => FindAttribute(entry, attributeName) is { Count: > 0 } attribute
           && attribute.GetValues(typeof(string)) is [string value, ..]
            ? value
            : null;

    private static List<string> ReadStrings(SearchResultEntry entry, string attributeName)
    {
        var values = new List<string>();
        if (FindAttribute(entry, attributeName) is { Count: > 0 } attribute)
        {
            foreach (var value in attribute.GetValues(typeof(string)))
            {
                values.Add((string)value);
            }
        }

        return values;
    }

    // Attribute names come back as the server spells them (entryUUID, entryuuid, ...): match
    // them case-insensitively as LDAP does (RFC 4512 section 2.5).
    private static DirectoryAttribute? FindAttribute(SearchResultEntry entry, string attributeName)
    {
        foreach (string name in entry.Attributes.AttributeNames)
        {
            if (string.Equals(name, attributeName, StringComparison.OrdinalIgnoreCase))
            {
                return entry.Attributes[name];
            }
        }

        return null;
    }

    public void Dispose()
    {
        if (_caDirectory is not null)
        {
            try
            {
                Directory.Delete(_caDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A temp directory left behind holds only public CA certificates.
            }
        }
    }

    private enum LdapStage
    {
        Tls,
        ServiceBind,
        UserSearch,
        UserBind,
        GroupSearch,
    }
}
