namespace Appliance.Api.Security;

/// <summary>What a client sent to a login endpoint, for the provider to check; <see cref="Address"/> is the client's IP.</summary>
public sealed record LoginAttempt(string Username, string Password, string? Address)
{
    /// <summary>Never the password: records print themselves in logs and test output.</summary>
    public override string ToString() => $"LoginAttempt {{ Username = {Username}, Address = {Address} }}";
}
