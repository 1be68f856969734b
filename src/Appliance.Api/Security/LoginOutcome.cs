namespace Appliance.Api.Security;

/// <summary>
/// A provider's answer to a login attempt: the user signed in (<see cref="UserId"/>) or why not.
/// <see cref="Reason"/> goes to the server log; what the client is told is chosen by <see cref="LoginEndpoint"/>
/// (a refusal is always the same body, so it cannot tell a wrong password from an unknown user).
/// </summary>
public readonly record struct LoginOutcome(LoginOutcomeKind Kind, string? UserId, string Reason)
{
    /// <summary>
    /// Whom the provider found, for the audit and log, when the client named nobody (GitHub's code says who
    /// the user is only once exchanged); null otherwise.
    /// </summary>
    public string? Username { get; init; }

    public static LoginOutcome Succeeded(string userId) => new(LoginOutcomeKind.Succeeded, userId, "");

    public static LoginOutcome Refused(string reason) => new(LoginOutcomeKind.Refused, null, reason);

    /// <summary><paramref name="reason"/> is shown to the client: the user proved who they are.</summary>
    public static LoginOutcome Forbidden(string reason) => new(LoginOutcomeKind.Forbidden, null, reason);

    /// <summary><paramref name="reason"/> is shown to the client: it is about the provider, not the credentials.</summary>
    public static LoginOutcome Unavailable(string reason) => new(LoginOutcomeKind.Unavailable, null, reason);

    public static LoginOutcome NotEnabled(string reason) => new(LoginOutcomeKind.NotEnabled, null, reason);
}
