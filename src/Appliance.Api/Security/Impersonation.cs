using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Appliance.Api.Security;

/// <summary>
/// Kubernetes impersonation (kube-apiserver's <c>WithImpersonation</c> filter): <c>Impersonate-User</c>,
/// <c>-Uid</c>, <c>-Group</c> and <c>-Extra-{key}</c> switch the request to another identity, each part
/// allowed only by the <c>impersonate</c> verb on users (or serviceaccounts), groups, userextras/{key} and uids.
/// </summary>
internal static class Impersonation
{
    public const string UserHeader = "Impersonate-User";
    public const string UidHeader = "Impersonate-Uid";
    public const string GroupHeader = "Impersonate-Group";
    public const string ExtraHeaderPrefix = "Impersonate-Extra-";

    private const string AuthenticationGroup = "authentication.k8s.io";

    /// <summary>
    /// The identity to serve the request as: <paramref name="requester"/> itself without impersonation
    /// headers, the impersonated user when every part is allowed, or an error Status.
    /// </summary>
    public static RequestUser Apply(HttpContext context, RequestUser requester, RbacSnapshot rbac, out ApiStatus? error)
    {
        error = null;
        IHeaderDictionary headers = context.Request.Headers;
        StringValues userName = headers[UserHeader];
        StringValues uid = headers[UidHeader];
        StringValues groups = headers[GroupHeader];
        Dictionary<string, IReadOnlyList<string>>? extra = null;
        foreach ((string header, StringValues values) in headers)
        {
            if (header.StartsWith(ExtraHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                extra ??= new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
                // Keys are case-insensitive header names, percent-encoded by the client (kube's unescapeExtraKey).
                extra[Uri.UnescapeDataString(header[ExtraHeaderPrefix.Length..].ToLowerInvariant())] = [.. values.Where(static v => v is not null).Select(static v => v!)];
            }
        }

        if (userName.Count == 0)
        {
            if (uid.Count > 0 || groups.Count > 0 || extra is not null)
            {
                error = ApiErrors.BadRequest("requested impersonation of groups, extra or uid without impersonating a user");
            }

            return requester;
        }

        if (userName.Count > 1 || uid.Count > 1 || string.IsNullOrEmpty(userName[0]))
        {
            error = ApiErrors.BadRequest("only one Impersonate-User and at most one Impersonate-Uid may be given");
            return requester;
        }

        string name = userName[0]!;
        RequestAttributes actingAs = RequestUser.TryParseServiceAccount(name, out string saNamespace, out string saName)
            ? RequestAttributes.ForResource("impersonate", "", "serviceaccounts", "", saNamespace, saName)
            : RequestAttributes.ForResource("impersonate", "", "users", "", "", name);
        if (!Allowed(rbac, requester, actingAs, out error))
        {
            return requester;
        }

        var effectiveGroups = new List<string>();
        foreach (string? group in groups)
        {
            if (group is null || !Allowed(rbac, requester, RequestAttributes.ForResource("impersonate", "", "groups", "", "", group), out error))
            {
                error ??= ApiErrors.BadRequest("an empty Impersonate-Group header");
                return requester;
            }

            effectiveGroups.Add(group);
        }

        foreach ((string key, IReadOnlyList<string> values) in extra ?? [])
        {
            foreach (string value in values)
            {
                if (!Allowed(rbac, requester, RequestAttributes.ForResource("impersonate", AuthenticationGroup, "userextras", key, "", value), out error))
                {
                    return requester;
                }
            }
        }

        if (uid.Count == 1 && !Allowed(rbac, requester, RequestAttributes.ForResource("impersonate", AuthenticationGroup, "uids", "", "", uid[0] ?? ""), out error))
        {
            return requester;
        }

        if (saName.Length > 0 && groups.Count == 0)
        {
            // A service account's groups are a fixed mapping, added when none were asked for.
            effectiveGroups.Add(RequestUser.ServiceAccountsGroup);
            effectiveGroups.Add(RequestUser.ServiceAccountsGroup + ":" + saNamespace);
        }

        if (name != "system:anonymous" && !effectiveGroups.Contains(RequestUser.AuthenticatedGroup))
        {
            effectiveGroups.Add(RequestUser.AuthenticatedGroup);
        }

        return new RequestUser(name, uid.Count == 1 ? uid[0]! : "", effectiveGroups, extra ?? RequestUser.NoExtra);
    }

    private static bool Allowed(RbacSnapshot rbac, RequestUser requester, RequestAttributes actingAs, out ApiStatus? error)
    {
        if (RbacAuthorizer.Authorize(rbac, requester, actingAs).Allowed)
        {
            error = null;
            return true;
        }

        error = ApiErrors.Forbidden(actingAs.ApiGroup, actingAs.Resource, actingAs.Name, RbacAuthorizer.DeniedMessage(requester, actingAs));
        return false;
    }
}
