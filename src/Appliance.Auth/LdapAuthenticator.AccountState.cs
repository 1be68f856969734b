using System.DirectoryServices.Protocols;
using System.Globalization;

namespace Appliance.Auth;

public sealed partial class LdapAuthenticator
{
    // How AD (and Samba's DC) words a refused simple bind: "80090308: LdapErr: DSID-0C09044E, comment:
    // AcceptSecurityContext error, data 533, v4563". The hex after "data" is the Windows sub-status.
    private const string AcceptSecurityContextData = "AcceptSecurityContext error, data ";

    /// <summary>
    /// A refused user bind (result 49), told apart by AD's sub-code. The DC checks the password before the
    /// account's state (Samba 4.17 was seen to: a disabled account with a wrong password gets 52e, with the
    /// right one 533), so the distinct statuses reach only callers who knew the password; the one exception is
    /// a locked-out account (775), which the DC reports whatever the password.
    /// </summary>
    internal static LdapLoginStatus StatusOfRefusedBind(string? serverMessage)
    {
        var at = serverMessage?.IndexOf(AcceptSecurityContextData, StringComparison.Ordinal) ?? -1;
        if (at < 0)
        {
            return LdapLoginStatus.InvalidCredentials;
        }

        var code = serverMessage.AsSpan(at + AcceptSecurityContextData.Length);
        var end = 0;
        while (end < code.Length && char.IsAsciiHexDigit(code[end]))
        {
            end++;
        }

        return code[..end] switch
        {
            "533" => LdapLoginStatus.AccountDisabled,
            "775" => LdapLoginStatus.AccountLockedOut,
            "701" => LdapLoginStatus.AccountExpired,
            // 532: the password expired; 773: it must be changed at next logon (pwdLastSet 0).
            "532" or "773" => LdapLoginStatus.PasswordExpired,
            _ => LdapLoginStatus.InvalidCredentials,
        };
    }

    /// <summary>
    /// Once the user's entry is found and, for a login, the user's bind succeeded: refuses an account that
    /// <see cref="LdapSettings.UserEnabledAttribute"/> marks disabled, which a directory may let bind anyway.
    /// A configured attribute that is missing or not a number refuses too: the service account may lack the
    /// right to read it, and that must not pass as enabled.
    /// </summary>
    private LdapLoginStatus? CheckEnabled(string server, SearchResultEntry entry)
    {
        if (_settings.UserEnabledAttribute.Length == 0)
        {
            return null;
        }

        if (ReadString(entry, _settings.UserEnabledAttribute) is not { } text
            || !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var flags))
        {
            Log.LdapDirectoryError(_logger, server, "user bind", 0, $"the user entry has no numeric {_settings.UserEnabledAttribute}");
            return LdapLoginStatus.DirectoryError;
        }

        return (flags & _settings.UserDisabledBitMask) != 0 ? LdapLoginStatus.AccountDisabled : null;
    }
}
