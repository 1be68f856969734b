using Microsoft.Extensions.Logging;

namespace Appliance.Api;

/// <summary>GitHub sign-in messages (EventIds 1340-1349). None takes a code, state, verifier, secret or token.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1340, EventName = "GitHubSignInStarted", Level = LogLevel.Debug,
        Message = "GitHub sign-in started from {RemoteAddress}; GitHub will send the browser back to {RedirectUri}")]
    public static partial void GitHubSignInStarted(ILogger logger, string? remoteAddress, string redirectUri);

    [LoggerMessage(EventId = 1341, EventName = "GitHubUserCreated", Level = LogLevel.Information,
        Message = "First sign-in through github: user {UserId} for {Principal} ({Login})")]
    public static partial void GitHubUserCreated(ILogger logger, string userId, string principal, string login);

    [LoggerMessage(EventId = 1342, EventName = "GitHubRefreshed", Level = LogLevel.Information,
        Message = "Refreshed the {Count} users of github: {Updated} updated, {Revoked} whose access GitHub revoked, {Refused} no longer admitted, {WithoutToken} without a stored token")]
    public static partial void GitHubRefreshed(ILogger logger, int count, int updated, int revoked, int refused, int withoutToken);

    [LoggerMessage(EventId = 1343, EventName = "GitHubRefreshSkipped", Level = LogLevel.Warning,
        Message = "The refresh of the github users stopped, nothing changed for the rest: {Reason}")]
    public static partial void GitHubRefreshSkipped(ILogger logger, string reason);

    [LoggerMessage(EventId = 1344, EventName = "GitHubAccessRevoked", Level = LogLevel.Warning,
        Message = "GitHub refuses the stored access token of user {UserId}: its GitHub groups are dropped and its {Count} tokens from github sign-ins revoked; it signs in again to get them back")]
    public static partial void GitHubAccessRevoked(ILogger logger, string userId, int count);

    [LoggerMessage(EventId = 1345, EventName = "GitHubUserRefreshFailed", Level = LogLevel.Warning,
        Message = "The refresh through github of user {UserId} failed: {Error}")]
    public static partial void GitHubUserRefreshFailed(ILogger logger, string userId, string error);
}
