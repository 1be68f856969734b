using Microsoft.Extensions.Logging;

namespace Appliance.Api;

/// <summary>Sign-in and directory messages (EventIds 1320-1339). None takes a password or a token.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1320, EventName = "LoginForbidden", Level = LogLevel.Warning,
        Message = "Login of {Username} through {Provider} from {RemoteAddress} refused by the access mode: {Reason}")]
    public static partial void LoginForbidden(ILogger logger, string provider, string username, string? remoteAddress, string reason);

    [LoggerMessage(EventId = 1321, EventName = "LoginUnavailable", Level = LogLevel.Warning,
        Message = "Login through {Provider} from {RemoteAddress} could not be checked: {Reason}")]
    public static partial void LoginUnavailable(ILogger logger, string provider, string? remoteAddress, string reason);

    [LoggerMessage(EventId = 1322, EventName = "DirectoryMisconfigured", Level = LogLevel.Error,
        Message = "The {Provider} provider cannot sign users in as configured: {Problem}")]
    public static partial void DirectoryMisconfigured(ILogger logger, string provider, string problem);

    [LoggerMessage(EventId = 1323, EventName = "DirectoryUserCreated", Level = LogLevel.Information,
        Message = "First sign-in through {Provider}: user {UserId} for {Principal} ({DistinguishedName})")]
    public static partial void DirectoryUserCreated(ILogger logger, string provider, string userId, string principal, string distinguishedName);

    [LoggerMessage(EventId = 1324, EventName = "DirectoryRefreshed", Level = LogLevel.Information,
        Message = "Refreshed the {Count} users of {Provider}: {Updated} updated, {Disabled} disabled")]
    public static partial void DirectoryRefreshed(ILogger logger, string provider, int count, int updated, int disabled);

    [LoggerMessage(EventId = 1325, EventName = "DirectoryRefreshSkipped", Level = LogLevel.Warning,
        Message = "The refresh of the {Provider} users stopped, nothing changed for the rest: the directory is unavailable: {Reason}")]
    public static partial void DirectoryRefreshSkipped(ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 1326, EventName = "DirectoryUserDisabled", Level = LogLevel.Warning,
        Message = "User {UserId} disabled, its groups emptied and its tokens revoked: {Reason}")]
    public static partial void DirectoryUserDisabled(ILogger logger, string userId, string reason);

    [LoggerMessage(EventId = 1327, EventName = "DirectoryUserRefreshFailed", Level = LogLevel.Warning,
        Message = "The refresh through {Provider} of user {UserId} failed: {Error}")]
    public static partial void DirectoryUserRefreshFailed(ILogger logger, string provider, string userId, string error);

    [LoggerMessage(EventId = 1328, EventName = "ResyncIntervalInvalid", Level = LogLevel.Warning,
        Message = "The setting {Setting} is \"{Value}\", not a duration from 1s to 720h (or 0 to stop); using {Default}")]
    public static partial void ResyncIntervalInvalid(ILogger logger, string setting, string value, string @default);

    [LoggerMessage(EventId = 1329, EventName = "AuthConfigApplied", Level = LogLevel.Information,
        Message = "The {Provider} provider was tested and enabled by {UserId}, who signed in as {Principal}")]
    public static partial void AuthConfigApplied(ILogger logger, string provider, string userId, string principal);

    [LoggerMessage(EventId = 1330, EventName = "AuthConfigTestFailed", Level = LogLevel.Information,
        Message = "testAndApply of {Provider} by {UserId} saved nothing: the test login of {Username} failed: {Status}")]
    public static partial void AuthConfigTestFailed(ILogger logger, string provider, string userId, string username, string status);

    [LoggerMessage(EventId = 1331, EventName = "DirectoryRefreshFailed", Level = LogLevel.Error,
        Message = "A refresh of directory users failed; the next one is tried at the next interval")]
    public static partial void DirectoryRefreshFailed(ILogger logger, Exception exception);
}
