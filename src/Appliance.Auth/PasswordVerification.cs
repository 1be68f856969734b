namespace Appliance.Auth;

/// <summary>The outcome of <see cref="PasswordHasher.Verify"/>.</summary>
public enum PasswordVerification
{
    Failed,
    Success,

    /// <summary>The password is right but was hashed with weaker parameters: store a fresh hash now.</summary>
    SuccessRehashNeeded,
}
