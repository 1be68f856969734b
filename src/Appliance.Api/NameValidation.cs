namespace Appliance.Api;

/// <summary>
/// RFC 1123 name rules as apimachinery's <c>IsDNS1123Label</c> / <c>IsDNS1123Subdomain</c> apply them,
/// with the same messages so users see what kube-apiserver would say.
/// </summary>
internal static class NameValidation
{
    public const int MaxLabelLength = 63;
    public const int MaxSubdomainLength = 253;

    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    /// <summary>Null when valid, else the error message.</summary>
    public static string? Validate(string name, NameRule rule)
    {
        if (rule == NameRule.PathSegment)
        {
            // apimachinery's ValidatePathSegmentName: the name becomes one segment of the object's URL.
            return name is "." or ".." ? $"may not be '{name}'"
                : name.Contains('/', StringComparison.Ordinal) ? "may not contain '/'"
                : name.Contains('%', StringComparison.Ordinal) ? "may not contain '%'"
                : null;
        }

        if (rule == NameRule.DnsLabel)
        {
            if (name.Length > MaxLabelLength)
            {
                return $"must be no more than {MaxLabelLength} characters";
            }

            return IsLabel(name) ? null : LabelMessage;
        }

        if (name.Length > MaxSubdomainLength)
        {
            return $"must be no more than {MaxSubdomainLength} characters";
        }

        foreach (string part in name.Split('.'))
        {
            if (!IsLabel(part))
            {
                return SubdomainMessage;
            }
        }

        return null;
    }

    private static bool IsLabel(string value)
    {
        if (value.Length == 0 || !IsAlphanumeric(value[0]) || !IsAlphanumeric(value[^1]))
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!IsAlphanumeric(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAlphanumeric(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
