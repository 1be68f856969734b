using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// Directory sign-in on Rancher's routes, <c>POST /v3-public/openLdapProviders/openldap?action=login</c> and
/// <c>/v3-public/activeDirectoryProviders/activedirectory?action=login</c> (body, token and answers in
/// <see cref="LoginEndpoint"/>): the directory checks the password, the provider's access mode must admit the
/// user, then its User (found by principal, created at the first sign-in) takes the directory's names and groups.
/// A disabled or unconfigured provider is 404, as if the route were not there; a directory that cannot answer
/// is 503, never a 401 that would send the user to retype a right password.
/// </summary>
public sealed class DirectoryLogin(LoginEndpoint endpoint, DirectoryProviders providers, UserAccounts users, RbacCache rbac, KeyValueStore store, ILogger<DirectoryLogin> logger)
{
    public Task HandleAsync(HttpContext context, string provider)
        => endpoint.HandleAsync(context, provider, (attempt, cancellationToken) => AuthenticateAsync(provider, attempt, cancellationToken));

    private async Task<LoginOutcome> AuthenticateAsync(string name, LoginAttempt attempt, CancellationToken cancellationToken)
    {
        DirectoryProvider? provider = providers.Find(name, out string? problem);
        if (provider is null)
        {
            if (problem is null)
            {
                return LoginOutcome.NotEnabled($"the {name} provider is not enabled");
            }

            Log.DirectoryMisconfigured(logger, name, problem);
            return LoginOutcome.Unavailable($"the {name} provider cannot sign users in as configured; the server log says why");
        }

        LdapLoginResult result = await provider.Authenticator.LoginAsync(attempt.Username, attempt.Password, cancellationToken).ConfigureAwait(false);
        if (result.User is not { } directoryUser)
        {
            return Unanswered(result.Status) is string unavailable
                ? LoginOutcome.Unavailable("the directory is unavailable: " + unavailable)
                : LoginOutcome.Refused(result.Status.ToString());
        }

        JsonObject? existing = users.FindByPrincipal(directoryUser.Principal);
        var groups = directoryUser.Groups.Select(group => group.Principal.ToString()).ToHashSet(StringComparer.Ordinal);
        if (AccessMode.Refusal(provider.Config, directoryUser.Principal, groups, FieldRules.Text(existing?["metadata"]?["name"]), rbac.Snapshot, store) is string refusal)
        {
            return LoginOutcome.Forbidden(refusal);
        }

        JsonObject user = await users.SyncAsync(directoryUser, existing).ConfigureAwait(false);
        string userId = FieldRules.Text(user["metadata"]?["name"])!;
        if (existing is null)
        {
            Log.DirectoryUserCreated(logger, name, userId, directoryUser.Principal.ToString(), directoryUser.DistinguishedName);
        }

        // Only an administrator's disabling is left now: one by the directory refresh was undone by the sync.
        return UserAccounts.IsDisabled(user) ? LoginOutcome.Refused("the user is disabled") : LoginOutcome.Succeeded(userId);
    }

    /// <summary>
    /// Why the directory gave no answer about the credentials, in words for the user; null for a refusal of
    /// them (a status the engine may add later, such as a disabled account, is a refusal too).
    /// </summary>
    public static string? Unanswered(LdapLoginStatus status) => status switch
    {
        LdapLoginStatus.ServerUnavailable => "no server answered",
        LdapLoginStatus.Timeout => "it did not answer in time",
        LdapLoginStatus.TlsFailure => "the TLS handshake failed (is the server's certificate signed by the configured CA, for its name?)",
        LdapLoginStatus.ServiceAccountRejected => "it refused the configured service account",
        LdapLoginStatus.DirectoryError => "it answered a search with an error (are the search bases right?)",
        _ => null,
    };
}
