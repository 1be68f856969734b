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
}
