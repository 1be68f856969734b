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
}
