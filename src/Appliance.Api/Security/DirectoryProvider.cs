using System.Text.Json.Nodes;
using Appliance.Auth;

namespace Appliance.Api.Security;

/// <summary>
/// An enabled directory provider: its AuthConfig as read, and the authenticator built from it and its password
/// Secret (<see cref="Version"/> names both revisions).
/// </summary>
public sealed record DirectoryProvider(string Name, JsonObject Config, LdapAuthenticator Authenticator, string Version)
{
    public PrincipalKind UserKind => DirectoryAuthConfig.UserKind(Name);
}
