using Microsoft.Extensions.Logging;

namespace Appliance.Api;

/// <summary>The API's log messages. EventIds 1300-1399 belong to the API (1200-1299 are kept for the proxy).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1300, EventName = "RequestFailed", Level = LogLevel.Error,
        Message = "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 1301, EventName = "WatchEnded", Level = LogLevel.Debug,
        Message = "Watch on {Prefix} ended at revision {Revision}: {Status}")]
    public static partial void WatchEnded(ILogger logger, string prefix, long revision, string status);

    [LoggerMessage(EventId = 1302, EventName = "RbacRelist", Level = LogLevel.Warning,
        Message = "The RBAC watch ended ({Status}); listing RBAC objects again")]
    public static partial void RbacRelist(ILogger logger, string status);

    [LoggerMessage(EventId = 1303, EventName = "AuthenticationFailed", Level = LogLevel.Information,
        Message = "Authentication failed for {Method} {Path} from {RemoteAddress}: {Reason}")]
    public static partial void AuthenticationFailed(ILogger logger, string method, string path, string? remoteAddress, string reason);

    [LoggerMessage(EventId = 1304, EventName = "LoginFailed", Level = LogLevel.Information,
        Message = "Login of {Username} through {Provider} failed from {RemoteAddress}: {Reason}")]
    public static partial void LoginFailed(ILogger logger, string provider, string username, string? remoteAddress, string reason);

    [LoggerMessage(EventId = 1305, EventName = "LoginSucceeded", Level = LogLevel.Information,
        Message = "Login through {Provider}: user {UserId} got session token {TokenName}")]
    public static partial void LoginSucceeded(ILogger logger, string provider, string userId, string tokenName);
}
