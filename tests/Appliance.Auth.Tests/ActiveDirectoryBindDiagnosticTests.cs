namespace Appliance.Auth.Tests;

/// <summary>How a refused user bind's diagnostic from AD or Samba maps to a status (the DC tests cover the same against Samba).</summary>
public sealed class ActiveDirectoryBindDiagnosticTests
{
    [Theory]
    // Windows Server's wording, then Samba 4.17's.
    [InlineData("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563", LdapLoginStatus.InvalidCredentials)]
    [InlineData("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 533, v4563", LdapLoginStatus.AccountDisabled)]
    [InlineData("80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 533, v1db1", LdapLoginStatus.AccountDisabled)]
    [InlineData("80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 775, v1db1", LdapLoginStatus.AccountLockedOut)]
    [InlineData("80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 701, v1db1", LdapLoginStatus.AccountExpired)]
    [InlineData("80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 532, v1db1", LdapLoginStatus.PasswordExpired)]
    [InlineData("80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 773, v1db1", LdapLoginStatus.PasswordExpired)]
    // Not permitted at this time or from this workstation: refused like a wrong password.
    [InlineData("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 530, v4563", LdapLoginStatus.InvalidCredentials)]
    // A code that merely starts like a known one is not that code.
    [InlineData("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 5330, v4563", LdapLoginStatus.InvalidCredentials)]
    // OpenLDAP and anything else.
    [InlineData("", LdapLoginStatus.InvalidCredentials)]
    [InlineData(null, LdapLoginStatus.InvalidCredentials)]
    [InlineData("account disabled, data 533", LdapLoginStatus.InvalidCredentials)]
    public void StatusOfRefusedBind_ReadsAdsSubCode(string? message, LdapLoginStatus expected)
    {
        Assert.Equal(expected, LdapAuthenticator.StatusOfRefusedBind(message));
    }
}
