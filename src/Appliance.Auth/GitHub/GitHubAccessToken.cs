namespace Appliance.Auth.GitHub;

/// <summary>A GitHub OAuth access token and the scopes GitHub granted with it. Never printed or logged.</summary>
public sealed class GitHubAccessToken
{
    public GitHubAccessToken(string value, IReadOnlyList<string> scopes)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        Value = value;
        Scopes = scopes ?? throw new ArgumentNullException(nameof(scopes));
    }

    /// <summary>The bearer token; a secret. Keep it only encrypted (SecretEncryption) if groups are refreshed later.</summary>
    public string Value { get; }

    /// <summary>As GitHub reported them in the exchange's <c>scope</c> field (e.g. <c>read:org</c>, <c>read:user</c>).</summary>
    public IReadOnlyList<string> Scopes { get; }

    public override string ToString() => $"GitHubAccessToken {{ Scopes = [{string.Join(", ", Scopes)}] }}";
}
