namespace Appliance.Proxy;

/// <summary>The two HTTP versions the proxy accepts from clients.</summary>
public enum HttpProtocolVersion
{
    /// <summary>HTTP/1.0.</summary>
    Http10,

    /// <summary>HTTP/1.1.</summary>
    Http11,
}
