using Microsoft.Extensions.Logging;

namespace Appliance.Auth.GitHub;

/// <summary>
/// GitHub sign-in's log messages, EventIds 1120-1139 of auth's 1100-1199. No message takes the client
/// secret, a code, a PKCE verifier, a state or a token; reasons are built by <see cref="GitHubOAuth"/>
/// without them.
/// </summary>
internal static partial class GitHubLog
{
    [LoggerMessage(EventId = 1120, EventName = "GitHubCodeExchanged", Level = LogLevel.Debug,
        Message = "GitHub code exchange at {Host} succeeded; granted scopes: {Scopes}")]
    public static partial void CodeExchanged(ILogger logger, string host, string scopes);

    [LoggerMessage(EventId = 1121, EventName = "GitHubCodeExchangeFailed", Level = LogLevel.Information,
        Message = "GitHub code exchange at {Host} failed: {Status}: {Reason}")]
    public static partial void CodeExchangeFailed(ILogger logger, string host, GitHubStatus status, string reason);

    [LoggerMessage(EventId = 1122, EventName = "GitHubIdentityResolved", Level = LogLevel.Information,
        Message = "GitHub user {Login} ({Principal}) on {Host} with {OrgCount} orgs and {TeamCount} teams")]
    public static partial void IdentityResolved(ILogger logger, string login, string principal, string host, int orgCount, int teamCount);

    [LoggerMessage(EventId = 1123, EventName = "GitHubIdentityFailed", Level = LogLevel.Information,
        Message = "GitHub identity lookup at {Host} failed: {Status}: {Reason}")]
    public static partial void IdentityFailed(ILogger logger, string host, GitHubStatus status, string reason);

    [LoggerMessage(EventId = 1124, EventName = "GitHubReadOrgScopeMissing", Level = LogLevel.Warning,
        Message = "GitHub at {Host} granted scopes '{Scopes}' without read:org: private org memberships and teams will be missing")]
    public static partial void ReadOrgScopeMissing(ILogger logger, string host, string scopes);

    [LoggerMessage(EventId = 1125, EventName = "GitHubStateMismatch", Level = LogLevel.Warning,
        Message = "GitHub sign-in refused: the state sent back is not the one this session started with (a forged or replayed callback)")]
    public static partial void StateMismatch(ILogger logger);
}
