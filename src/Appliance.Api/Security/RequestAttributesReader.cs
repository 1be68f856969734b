using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Appliance.Api.Security;

/// <summary>
/// The RBAC attributes of a routed API request, derived as kube-apiserver's <c>RequestInfoFactory</c> does:
/// the verb from the method (get/list/watch, create, update, patch, delete/deletecollection), the resource
/// from the route, and a few of its rules (a namespace's own name is its namespace; a list or watch
/// narrowed to one name by <c>fieldSelector=metadata.name=</c> is checked against that name).
/// </summary>
internal static class RequestAttributesReader
{
    public static RequestAttributes Read(HttpContext context)
    {
        string? resource = Route(context, "resource");
        string method = context.Request.Method;
        string path = context.Request.Path.Value ?? "/";
        string group = Route(context, "group") ?? "";
        if (resource is null)
        {
            // Routes with literal segments (the self reviews) are resources too: /apis/{group}/{version}/{resource}.
            string[] segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments is not ["apis", _, _, _])
            {
                return RequestAttributes.ForPath(method.ToLowerInvariant(), path);
            }

            group = segments[1];
            resource = segments[3];
        }

        string namespaceName = Route(context, "namespace") ?? "";
        string name = Route(context, "name") ?? "";
        string subresource = Route(context, "subresource") ?? "";
        string verb = Verb(context, method, name.Length > 0);
        if (resource == "namespaces" && group.Length == 0 && name.Length > 0 && namespaceName.Length == 0)
        {
            namespaceName = name;
        }

        if (name.Length == 0 && verb is "list" or "watch" && NameFromFieldSelector(context.Request.Query["fieldSelector"]) is string selected)
        {
            name = selected;
        }

        return RequestAttributes.ForResource(verb, group, resource, subresource, namespaceName, name);
    }

    private static string Verb(HttpContext context, string method, bool hasName)
    {
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            return hasName ? "get" : context.Request.Query["watch"] is ["1" or "true" or "True"] ? "watch" : "list";
        }

        if (HttpMethods.IsPost(method))
        {
            return "create";
        }

        if (HttpMethods.IsPut(method))
        {
            return "update";
        }

        if (HttpMethods.IsPatch(method))
        {
            return "patch";
        }

        if (HttpMethods.IsDelete(method))
        {
            return hasName ? "delete" : "deletecollection";
        }

        return method.ToLowerInvariant();
    }

    private static string? NameFromFieldSelector(StringValues selector)
    {
        if (selector.Count != 1)
        {
            return null;
        }

        foreach (string term in selector[0]!.Split(','))
        {
            string trimmed = term.Trim();
            foreach (string prefix in (ReadOnlySpan<string>)["metadata.name==", "metadata.name="])
            {
                if (trimmed.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return trimmed[prefix.Length..];
                }
            }
        }

        return null;
    }

    private static string? Route(HttpContext context, string key) => context.Request.RouteValues[key] as string;
}
