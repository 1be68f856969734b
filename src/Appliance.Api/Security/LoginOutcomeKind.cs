namespace Appliance.Api.Security;

/// <summary>How a provider answered a login attempt; each kind has one HTTP answer (<see cref="LoginEndpoint"/>).</summary>
public enum LoginOutcomeKind
{
    /// <summary>201 with a session token of the user.</summary>
    Succeeded,

    /// <summary>401, one body for a wrong password, an unknown, ambiguous or disabled user and an empty password; counted by the throttle.</summary>
    Refused,

    /// <summary>403: the credentials were right but the provider's access mode does not admit the user.</summary>
    Forbidden,

    /// <summary>503: the provider could not answer (directory down, timed out, misconfigured); says nothing of the credentials.</summary>
    Unavailable,

    /// <summary>404: the provider is not configured or not enabled.</summary>
    NotEnabled,
}
