namespace Appliance.Auth;

public sealed partial class LdapAuthenticator
{
    /// <summary>
    /// Finds the user a principal of this directory names, by its immutable id and through the service
    /// account alone, with the groups it is in now: how a periodic refresh sees group changes, a moved
    /// entry (same id, new DN) and a deleted one (<see cref="LdapLoginStatus.UserNotFound"/>) without
    /// the user's password. Never throws for an unreachable directory.
    /// </summary>
    public async Task<LdapLoginResult> LookupAsync(PrincipalId principal, CancellationToken cancellationToken = default)
    {
        if (principal.Kind != _settings.UserPrincipalKind)
        {
            throw new ArgumentException($"{principal} is not a user principal of this directory ({PrincipalId.SchemeOf(_settings.UserPrincipalKind)}).", nameof(principal));
        }

        var id = _settings.UniqueIdIsBinaryGuid
            ? LdapFilter.EscapeBytes(Guid.Parse(principal.Id).ToByteArray())
            : LdapFilter.Escape(principal.Id);
        var filter = $"(&(objectClass={_settings.UserObjectClass})({_settings.UniqueIdAttribute}={id}))";
        var (result, _) = await FailOverAsync(
            (host, timeout) => Attempt(host, filter, principal.Id, password: null, timeout), cancellationToken).ConfigureAwait(false);
        if (result.User is { } user && user.Principal != principal)
        {
            // The directory matched the id loosely (another matching rule): not the entry asked for.
            return LdapLoginResult.Failure(LdapLoginStatus.UserNotFound);
        }

        return result;
    }
}
