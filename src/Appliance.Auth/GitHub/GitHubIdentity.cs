namespace Appliance.Auth.GitHub;

/// <summary>An organization or team the user belongs to, as GitHub's <c>/user/orgs</c> or <c>/user/teams</c> listed it.</summary>
/// <param name="Principal"><c>github_org://&lt;id&gt;</c> or <c>github_team://&lt;id&gt;</c>: GitHub's numeric ids survive renames.</param>
/// <param name="Login">The org's login, or <c>org/team-slug</c> for a team.</param>
/// <param name="DisplayName">The org's login, or the team's name.</param>
public sealed record GitHubGroup(PrincipalId Principal, string Login, string DisplayName);

/// <summary>A GitHub user, by id, with the orgs and teams GitHub says the user is a member of.</summary>
/// <param name="Principal"><c>github_user://&lt;id&gt;</c>.</param>
/// <param name="Login">The user's current login (it can change; the principal does not).</param>
/// <param name="DisplayName">The profile name, or the login when the user set none.</param>
/// <param name="Groups">Orgs first, then teams; each principal once.</param>
public sealed record GitHubIdentity(PrincipalId Principal, string Login, string DisplayName, IReadOnlyList<GitHubGroup> Groups);

/// <summary>A completed sign-in: who the user is, and the token that can refresh their groups later.</summary>
public sealed record GitHubLogin(GitHubIdentity Identity, GitHubAccessToken Token);
