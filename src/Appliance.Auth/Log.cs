using Microsoft.Extensions.Logging;

namespace Appliance.Auth;

/// <summary>Auth's log messages. EventIds 1100-1199 belong to auth. No message takes a password or a token secret.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1100, EventName = "LdapLoginSucceeded", Level = LogLevel.Information,
        Message = "LDAP login of {LoginName} as {Principal} ({DistinguishedName}) on {Server} with {GroupCount} groups")]
    public static partial void LdapLoginSucceeded(ILogger logger, string loginName, string principal, string distinguishedName, string server, int groupCount);

    [LoggerMessage(EventId = 1101, EventName = "LdapLoginRefused", Level = LogLevel.Information,
        Message = "LDAP login of {LoginName} refused: {Status}")]
    public static partial void LdapLoginRefused(ILogger logger, string loginName, LdapLoginStatus status);

    [LoggerMessage(EventId = 1102, EventName = "LdapServerFailed", Level = LogLevel.Warning,
        Message = "LDAP server {Server}:{Port} failed ({Status}); trying the next server if there is one")]
    public static partial void LdapServerFailed(ILogger logger, string server, int port, LdapLoginStatus status);

    [LoggerMessage(EventId = 1103, EventName = "LdapGroupSkipped", Level = LogLevel.Warning,
        Message = "LDAP group {DistinguishedName} skipped: it has no usable {Attribute}")]
    public static partial void LdapGroupSkipped(ILogger logger, string distinguishedName, string attribute);

    [LoggerMessage(EventId = 1104, EventName = "LdapNestingBoundReached", Level = LogLevel.Warning,
        Message = "LDAP nested groups of {DistinguishedName} go deeper than {Depth} levels; the deeper ones are ignored")]
    public static partial void LdapNestingBoundReached(ILogger logger, string distinguishedName, int depth);

    [LoggerMessage(EventId = 1105, EventName = "LdapDirectoryError", Level = LogLevel.Warning,
        Message = "LDAP server {Server} answered with an error during {Stage}: {ResultCode} {ServerMessage}")]
    public static partial void LdapDirectoryError(ILogger logger, string server, string stage, int resultCode, string? serverMessage);
}
