using System.Diagnostics.CodeAnalysis;

namespace Appliance.Proxy;

/// <summary>
/// An authenticated caller as the proxy needs it: the impersonation header block, built once (the
/// authenticator caches this object per token), and the names the audit line shows.
/// </summary>
public sealed class ProxyCaller
{
    private ProxyCaller(string userId, string displayName, string[] groups, ImpersonationHeaders headers)
    {
        UserId = userId;
        DisplayName = displayName;
        Groups = groups;
        Headers = headers;
    }

    /// <summary>The user's id (<c>u-xxxxx</c>), sent as <c>Impersonate-User</c>.</summary>
    public string UserId { get; }

    /// <summary>The human-readable name, sent as <c>Impersonate-Extra-username</c>.</summary>
    public string DisplayName { get; }

    /// <summary>The impersonated groups, <c>system:authenticated</c> included.</summary>
    public IReadOnlyList<string> Groups { get; }

    internal ImpersonationHeaders Headers { get; }

    /// <summary>
    /// Builds the caller, or returns false when a value could not be sent safely as a header (a control
    /// character, surrounding whitespace, an unpaired surrogate): refuse such a caller rather than mangle it.
    /// </summary>
    /// <param name="userId">The user id, <c>Impersonate-User</c>.</param>
    /// <param name="displayName">The display name, <c>Impersonate-Extra-username</c>.</param>
    /// <param name="principalId">The principal, e.g. <c>local://u-xxxxx</c>, <c>Impersonate-Extra-principalid</c>.</param>
    /// <param name="tokenId">The token's name (<c>token-xxxxx</c>, never its secret), <c>Impersonate-Extra-requesttokenid</c>.</param>
    /// <param name="groups">Group principals; <c>system:authenticated</c> is added when missing.</param>
    public static bool TryCreate(
        string userId,
        string displayName,
        string principalId,
        string tokenId,
        IReadOnlyList<string> groups,
        [NotNullWhen(true)] out ProxyCaller? caller)
    {
        ArgumentNullException.ThrowIfNull(groups);
        caller = null;
        var allGroups = new List<string>(groups.Count + 1);
        foreach (string group in groups)
        {
            allGroups.Add(group);
        }

        if (!allGroups.Contains(ImpersonationHeaders.AuthenticatedGroup))
        {
            allGroups.Add(ImpersonationHeaders.AuthenticatedGroup);
        }

        KeyValuePair<string, string>[] extras =
        [
            new("principalid", principalId),
            new("username", displayName),
            new("requesttokenid", tokenId),
        ];
        string[] groupArray = [.. allGroups];
        if (!ImpersonationHeaders.TryCreate(userId, groupArray, extras, out ImpersonationHeaders? headers))
        {
            return false;
        }

        caller = new ProxyCaller(userId, displayName, groupArray, headers);
        return true;
    }
}
