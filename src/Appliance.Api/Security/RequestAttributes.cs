namespace Appliance.Api.Security;

/// <summary>
/// What a request asks to do, in RBAC's terms (kube-apiserver's <c>authorizer.Attributes</c>): a verb on a
/// resource (group, resource, subresource, namespace, name) or on a non-resource path.
/// </summary>
public readonly record struct RequestAttributes(
    string Verb,
    bool IsResourceRequest,
    string ApiGroup,
    string Resource,
    string Subresource,
    string Namespace,
    string Name,
    string Path)
{
    public static RequestAttributes ForResource(string verb, string apiGroup, string resource, string subresource = "", string namespaceName = "", string name = "")
        => new(verb, true, apiGroup, resource, subresource, namespaceName, name, "");

    public static RequestAttributes ForPath(string verb, string path) => new(verb, false, "", "", "", "", "", path);
}
