namespace Appliance.Auth;

/// <summary>The result of <see cref="LdapAuthenticator.LoginAsync"/>: a user, or the named reason there is none.</summary>
public sealed class LdapLoginResult
{
    private LdapLoginResult(LdapLoginStatus status, LdapUser? user)
    {
        Status = status;
        User = user;
    }

    public LdapLoginStatus Status { get; }

    /// <summary>Set exactly when <see cref="Status"/> is <see cref="LdapLoginStatus.Success"/>.</summary>
    public LdapUser? User { get; }

    public bool Succeeded => Status == LdapLoginStatus.Success;

    public static LdapLoginResult Success(LdapUser user) => new(LdapLoginStatus.Success, user ?? throw new ArgumentNullException(nameof(user)));

    public static LdapLoginResult Failure(LdapLoginStatus status)
        => status == LdapLoginStatus.Success
            ? throw new ArgumentException("A failure needs a failure status.", nameof(status))
            : new LdapLoginResult(status, null);

    public override string ToString() => User is null ? Status.ToString() : $"{Status} {User.Principal}";
}
