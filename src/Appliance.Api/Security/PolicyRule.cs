namespace Appliance.Api.Security;

/// <summary>One rule of a Role or ClusterRole, matched as kube's <c>rbac/v1</c> helpers do.</summary>
public sealed record PolicyRule(string[] Verbs, string[] ApiGroups, string[] Resources, string[] ResourceNames, string[] NonResourceUrls)
{
    public bool Allows(in RequestAttributes request)
    {
        if (!Contains(Verbs, request.Verb))
        {
            return false;
        }

        if (!request.IsResourceRequest)
        {
            return MatchesPath(request.Path);
        }

        return Contains(ApiGroups, request.ApiGroup)
            && MatchesResource(request.Resource, request.Subresource)
            && (ResourceNames.Length == 0 || Array.IndexOf(ResourceNames, request.Name) >= 0);
    }

    private static bool Contains(string[] values, string value)
    {
        foreach (string candidate in values)
        {
            if (candidate == "*" || candidate == value)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>*</c>, the exact <c>resource/subresource</c>, or <c>*/subresource</c> for any resource's subresource.</summary>
    private bool MatchesResource(string resource, string subresource)
    {
        foreach (string candidate in Resources)
        {
            if (candidate == "*")
            {
                return true;
            }

            if (subresource.Length == 0)
            {
                if (candidate == resource)
                {
                    return true;
                }
            }
            else if (candidate.Length == resource.Length + 1 + subresource.Length
                     && candidate.StartsWith(resource, StringComparison.Ordinal) && candidate[resource.Length] == '/' && candidate.EndsWith(subresource, StringComparison.Ordinal))
            {
                return true;
            }
            else if (candidate.StartsWith("*/", StringComparison.Ordinal) && candidate.AsSpan(2).SequenceEqual(subresource))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An exact path, <c>*</c>, or a prefix ending in <c>*</c>.</summary>
    private bool MatchesPath(string path)
    {
        foreach (string url in NonResourceUrls)
        {
            if (url == "*" || url == path || (url.EndsWith('*') && path.StartsWith(url.AsSpan(0, url.Length - 1), StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
