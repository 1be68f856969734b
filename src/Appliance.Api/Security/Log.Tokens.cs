using Microsoft.Extensions.Logging;

namespace Appliance.Api;

/// <summary>Token upkeep and administrators' user changes (EventIds 1350-1359). None takes a password or a token secret.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1350, EventName = "ExpiredTokensDeleted", Level = LogLevel.Information,
        Message = "Deleted {Count} tokens expired more than a minute ago")]
    public static partial void ExpiredTokensDeleted(ILogger logger, int count);

    [LoggerMessage(EventId = 1351, EventName = "TokenExpiryFailed", Level = LogLevel.Warning,
        Message = "The round deleting expired tokens failed; the next round tries again")]
    public static partial void TokenExpiryFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1352, EventName = "TokenUseWriteFailed", Level = LogLevel.Warning,
        Message = "Writing the last use of token {TokenName} failed; the next round tries again")]
    public static partial void TokenUseWriteFailed(ILogger logger, string tokenName, Exception exception);

    [LoggerMessage(EventId = 1353, EventName = "PasswordSet", Level = LogLevel.Information,
        Message = "{Caller} set the password of user {UserId} (must change it: {MustChange})")]
    public static partial void PasswordSet(ILogger logger, string caller, string userId, bool mustChange);
}
