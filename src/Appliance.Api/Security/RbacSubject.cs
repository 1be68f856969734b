namespace Appliance.Api.Security;

/// <summary>A subject of a binding: a User, a Group, or a ServiceAccount (with its namespace).</summary>
public sealed record RbacSubject(string Kind, string Name, string Namespace)
{
    /// <summary>kube's <c>appliesToUser</c>; a ServiceAccount without a namespace is in the binding's namespace.</summary>
    public bool AppliesTo(RequestUser user, string bindingNamespace) => Kind switch
    {
        "User" => user.Name == Name,
        "Group" => Contains(user.Groups, Name),
        "ServiceAccount" => user.Name == RequestUser.ServiceAccountPrefix + (Namespace.Length == 0 ? bindingNamespace : Namespace) + ":" + Name,
        _ => false,
    };

    private static bool Contains(IReadOnlyList<string> values, string value)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (values[i] == value)
            {
                return true;
            }
        }

        return false;
    }
}
