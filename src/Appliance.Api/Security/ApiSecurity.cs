using System.Diagnostics;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Api.Security;

/// <summary>
/// The gate in front of every API route: authenticate the bearer token (or the session cookie), apply impersonation, authorize with
/// RBAC, and only then run the handler with the caller as a <see cref="RequestUser"/> feature. 401 and 403
/// are Kubernetes Status bodies with kube-apiserver's wording.
/// </summary>
public sealed class ApiSecurity(TokenAuthenticator tokens, ServiceAccountTokens serviceAccountTokens, RbacCache rbac, KeyValueStore store, ResourceRegistry registry, ApiAuditLog audit, IOptions<ApiOptions> options, ILogger<ApiSecurity> logger)
{
    private const string BearerPrefix = "Bearer ";
    private const string AnonymousUser = "system:anonymous";

    private readonly int _maxReads = options.Value.MaxRequestsInFlight;
    private readonly int _maxWrites = options.Value.MaxMutatingRequestsInFlight;
    private int _reads;
    private int _writes;

    /// <summary>Writes being served now (counted against <see cref="ApiOptions.MaxMutatingRequestsInFlight"/>).</summary>
    internal int WritesInFlight => Volatile.Read(ref _writes);

    /// <summary>The caller a handler serves, set by the gate before the handler runs.</summary>
    public static RequestUser CurrentUser(HttpContext context)
        => context?.Features.Get<RequestUser>() ?? throw new InvalidOperationException("The request did not pass the API security gate.");

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        long started = Stopwatch.GetTimestamp();
        RequestAttributes request = RequestAttributesReader.Read(context);
        var caller = new AuditedCaller();
        try
        {
            if (request.Verb == "watch")
            {
                // Long-running: bounded by its own timeout, not by the in-flight limits.
                await ServeAsync(context, next, request, caller).ConfigureAwait(false);
                return;
            }

            bool mutating = request.Verb is not ("get" or "list");
            if (!TryEnter(mutating))
            {
                context.Response.Headers.RetryAfter = "1";
                await JsonResponses.WriteStatusAsync(context, ApiErrors.TooManyRequests()).ConfigureAwait(false);
                return;
            }

            try
            {
                await ServeAsync(context, next, request, caller).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref mutating ? ref _writes : ref _reads);
            }
        }
        catch when (caller.NoteFailure())
        {
            throw; // Never reached: the filter only notes that the handler threw, for the audit line below.
        }
        finally
        {
            // A handler that threw is answered 500 by the server (or its connection aborted), whatever the status says now.
            int status = caller.Failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            audit.Record(caller.User, caller.Impersonator, request.Verb, context.Request.Path.Value ?? "", status, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Counts the request in, unless its kind (reads or writes) is at its limit.</summary>
    private bool TryEnter(bool mutating)
    {
        ref int inFlight = ref mutating ? ref _writes : ref _reads;
        if (Interlocked.Increment(ref inFlight) <= (mutating ? _maxWrites : _maxReads))
        {
            return true;
        }

        Interlocked.Decrement(ref inFlight);
        return false;
    }

    /// <summary>Authenticates, impersonates, authorizes and runs the handler; notes in <paramref name="caller"/> who was served and who asked for it, before the handler runs.</summary>
    private async Task ServeAsync(HttpContext context, RequestDelegate next, RequestAttributes request, AuditedCaller caller)
    {
        RequestUser? requester = Authenticate(context, out bool csrfRefused);
        if (requester is null)
        {
            await JsonResponses.WriteStatusAsync(context, csrfRefused ? ApiErrors.Forbidden("", "", "", SessionCookies.CsrfRefusedMessage) : ApiErrors.Unauthorized()).ConfigureAwait(false);
            return;
        }

        await rbac.WaitForWritesAsync(context.RequestAborted).ConfigureAwait(false);
        RbacSnapshot snapshot = rbac.Snapshot;
        caller.User = requester.Name;
        RequestUser user = Impersonation.Apply(context, requester, snapshot, out ApiStatus? impersonationError);
        if (impersonationError is not null)
        {
            await JsonResponses.WriteStatusAsync(context, impersonationError).ConfigureAwait(false);
            return;
        }

        caller.User = user.Name;
        caller.Impersonator = ReferenceEquals(user, requester) ? null : requester.Name;
        if (!RbacAuthorizer.Authorize(snapshot, user, request).Allowed)
        {
            ApiStatus forbidden = request.IsResourceRequest
                ? ApiErrors.Forbidden(request.ApiGroup, request.Resource, request.Name, RbacAuthorizer.DeniedMessage(user, request))
                : ApiErrors.Forbidden("", "", "", RbacAuthorizer.DeniedMessage(user, request));
            await JsonResponses.WriteStatusAsync(context, forbidden).ConfigureAwait(false);
            return;
        }

        context.Features.Set(user);
        await next(context).ConfigureAwait(false);
        if (request.IsResourceRequest && request.Verb is not ("get" or "list" or "watch")
            && (request.ApiGroup == ResourceRegistry.RbacGroup || (request.ApiGroup == ResourceRegistry.ManagementGroup && request.Resource is "globalroles" or "globalrolebindings")))
        {
            // The write (if it succeeded) is at or below the store's revision now.
            rbac.NoteWrite(store.CurrentRevision);
        }
    }

    /// <summary>Who the audit line names: filled in as the gate learns it, so a handler that throws is still audited as its caller.</summary>
    private sealed class AuditedCaller
    {
        public string User { get; set; } = AnonymousUser;

        public string? Impersonator { get; set; }

        public bool Failed { get; private set; }

        /// <summary>For an exception filter: notes the failure and lets the exception go on.</summary>
        public bool NoteFailure()
        {
            Failed = true;
            return false;
        }
    }

    /// <summary>
    /// The gate of a Rancher-style <c>/v3</c> action on a management.appliance.io object: authenticates the caller
    /// and asks RBAC whether it may <paramref name="verb"/> <c>{resource}/{name}</c>. When not, it answers 401 or 403
    /// in the v3 shape. <c>User</c> is the caller once authenticated (for the audit line), even when refused.
    /// </summary>
    public async Task<(RequestUser? User, bool Allowed)> AuthorizeActionAsync(HttpContext context, string verb, string resource, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        RequestUser? user = Authenticate(context, out bool csrfRefused);
        if (user is null)
        {
            await V3Responses.WriteUnauthenticatedAsync(context, csrfRefused).ConfigureAwait(false);
            return (null, false);
        }

        await rbac.WaitForWritesAsync(context.RequestAborted).ConfigureAwait(false);
        if (!RbacAuthorizer.Authorize(rbac.Snapshot, user, RequestAttributes.ForResource(verb, ResourceRegistry.ManagementGroup, resource, name: name)).Allowed)
        {
            await V3Responses.WriteErrorAsync(context, 403, "PermissionDenied", $"User \"{user.Name}\" cannot {verb} resource \"{resource}\" in API group \"{ResourceRegistry.ManagementGroup}\" at the cluster scope").ConfigureAwait(false);
            return (user, false);
        }

        return (user, true);
    }

    /// <summary>
    /// The caller of a <c>Authorization: Bearer token-xxxxx:SECRET</c> request (or a service-account JWT), else of
    /// the browser session cookie <c>R_SESS</c> (<see cref="SessionCookies"/>); the header wins when both are
    /// there, as in Rancher. Null (logged, without the credential) when neither authenticates, and also when the
    /// cookie does but a state-changing request lacks the CSRF header: <paramref name="csrfRefused"/> then says
    /// to answer 403 rather than 401.
    /// </summary>
    public RequestUser? Authenticate(HttpContext context, out bool csrfRefused)
    {
        ArgumentNullException.ThrowIfNull(context);
        csrfRefused = false;
        string? credential;
        bool fromCookie = false;
        Microsoft.Extensions.Primitives.StringValues authorizations = context.Request.Headers.Authorization;
        if (authorizations.Count == 0)
        {
            credential = SessionCookies.SessionToken(context.Request);
            if (credential is null)
            {
                Log.AuthenticationFailed(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Connection.RemoteIpAddress?.ToString(), "no bearer token or session cookie");
                return null;
            }

            fromCookie = true;
        }
        else
        {
            string? authorization = authorizations.Count == 1 ? authorizations[0] : null;
            if (authorization is null || !authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                Log.AuthenticationFailed(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Connection.RemoteIpAddress?.ToString(), "no bearer token");
                return null;
            }

            credential = authorization[BearerPrefix.Length..].Trim();
            if (ServiceAccountTokens.LooksLikeJwt(credential))
            {
                RequestUser? account = AuthenticateServiceAccount(credential);
                if (account is null)
                {
                    Log.AuthenticationFailed(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Connection.RemoteIpAddress?.ToString(), "invalid service-account token");
                }

                return account;
            }
        }

        TokenAuthenticationStatus status = tokens.Authenticate(credential, out AuthenticatedUser? user);
        if (user is null)
        {
            Log.AuthenticationFailed(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Connection.RemoteIpAddress?.ToString(), (fromCookie ? "session cookie: " : "") + status);
            return null;
        }

        // Checked once the cookie proved valid, so a stale cookie is a 401 (sign in again), not a 403.
        if (fromCookie && !SessionCookies.CsrfHolds(context.Request))
        {
            Log.AuthenticationFailed(logger, context.Request.Method, context.Request.Path.Value ?? "", context.Connection.RemoteIpAddress?.ToString(), "session cookie without a matching X-API-CSRF header");
            csrfRefused = true;
            return null;
        }

        var groups = new List<string>(user.Groups.Count + 1);
        groups.AddRange(user.Groups);
        groups.Add(RequestUser.AuthenticatedGroup);
        // The same extras the proxy sends downstream, so audit and whoami read alike on both sides.
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            ["principalid"] = user.PrincipalIds,
            ["username"] = [user.DisplayName],
            ["requesttokenid"] = [user.TokenName],
        };
        return new RequestUser(user.UserId, user.UserId, groups, extra);
    }

    /// <summary>
    /// A service-account token this server signed for the API's audience, whose account still exists with
    /// the uid the token names (a deleted and re-created account does not inherit old tokens).
    /// </summary>
    private RequestUser? AuthenticateServiceAccount(string token)
    {
        if (!serviceAccountTokens.TryValidate(token, ServiceAccountTokens.Issuer, out ServiceAccountClaims claims))
        {
            return null;
        }

        GetResult account = store.Get(registry.Find("", "v1", "serviceaccounts")!.Key(claims.Namespace, claims.Name));
        if (account.Item is null)
        {
            return null;
        }

        using (var document = System.Text.Json.JsonDocument.Parse(account.Item.Value))
        {
            if (!document.RootElement.TryGetProperty("metadata", out var metadata)
                || !metadata.TryGetProperty("uid", out var uid) || uid.GetString() != claims.Uid)
            {
                return null;
            }
        }

        return new RequestUser(
            RequestUser.ServiceAccountPrefix + claims.Namespace + ":" + claims.Name,
            claims.Uid,
            [RequestUser.ServiceAccountsGroup, RequestUser.ServiceAccountsGroup + ":" + claims.Namespace, RequestUser.AuthenticatedGroup],
            RequestUser.NoExtra);
    }
}
