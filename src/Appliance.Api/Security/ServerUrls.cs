using Microsoft.AspNetCore.Http;

namespace Appliance.Api.Security;

/// <summary>The server's own https URL, as Rancher finds it: the <c>server-url</c> Setting, else the host the request came to.</summary>
public static class ServerUrls
{
    public const string Setting = "server-url";

    /// <summary>Without a trailing slash, e.g. <c>https://rancher.example.com</c>.</summary>
    public static string Of(ResourceEngine engine, HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(request);
        ResourceDefinition settings = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "settings")!;
        string? configured = FieldRules.Text(engine.Find(settings, null, Setting)?["value"]);
        // The server only listens over TLS: the request's scheme is https behind it, whatever a test harness says.
        return (string.IsNullOrEmpty(configured) ? "https://" + request.Host.Value : configured).TrimEnd('/');
    }
}
