namespace Appliance.Api;

/// <summary>Which of apimachinery's name validations a kind's <c>metadata.name</c> gets.</summary>
public enum NameRule
{
    /// <summary>Most kinds: a DNS-1123 subdomain.</summary>
    DnsSubdomain,

    /// <summary>Namespaces, which become DNS names of services.</summary>
    DnsLabel,

    /// <summary>RBAC kinds (<c>system:discovery</c>): anything that is one URL path segment.</summary>
    PathSegment,
}
