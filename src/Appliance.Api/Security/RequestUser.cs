namespace Appliance.Api.Security;

/// <summary>The identity a request is served as (Kubernetes <c>user.Info</c>), after impersonation.</summary>
public sealed record RequestUser(string Name, string Uid, IReadOnlyList<string> Groups, IReadOnlyDictionary<string, IReadOnlyList<string>> Extra)
{
    public const string AuthenticatedGroup = "system:authenticated";
    public const string MastersGroup = "system:masters";
    public const string ServiceAccountPrefix = "system:serviceaccount:";
    public const string ServiceAccountsGroup = "system:serviceaccounts";

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoExtra = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The namespace and name of a <c>system:serviceaccount:NS:NAME</c> user.</summary>
    public static bool TryParseServiceAccount(string userName, out string namespaceName, out string name)
    {
        namespaceName = name = "";
        if (!userName.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        string rest = userName[ServiceAccountPrefix.Length..];
        int colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == rest.Length - 1 || rest.IndexOf(':', colon + 1) >= 0)
        {
            return false;
        }

        namespaceName = rest[..colon];
        name = rest[(colon + 1)..];
        return true;
    }
}
