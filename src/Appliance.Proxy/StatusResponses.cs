using System.Text;

namespace Appliance.Proxy;

/// <summary>
/// The proxy's own answers, whole responses built once: a Kubernetes <c>Status</c> object (what kubectl prints
/// as "Error from server (Forbidden): ..."), always with <c>Connection: close</c> because the proxy stops
/// parsing the connection after an error.
/// </summary>
internal static class StatusResponses
{
    public static readonly byte[] BadRequest = Build(400, "Bad Request", "BadRequest", "the request is malformed or ambiguous");

    /// <summary>Like kube-apiserver's 401; the challenge names our realm, as the issue asks.</summary>
    public static readonly byte[] Unauthorized = Build(401, "Unauthorized", "Unauthorized", "Unauthorized",
        "WWW-Authenticate: Bearer realm=\"appliance\"\r\n");

    public static readonly byte[] Forbidden = Build(403, "Forbidden", "Forbidden",
        "forbidden: the caller has no role on this cluster");

    /// <summary>A state-changing request authenticated by the session cookie without its CSRF header.</summary>
    public static readonly byte[] CsrfRefused = Build(403, "Forbidden", "Forbidden",
        "forbidden: the request is authenticated by the session cookie but does not carry an X-API-CSRF header equal to the CSRF cookie");

    public static readonly byte[] ClusterNotFound = Build(404, "Not Found", "NotFound", "cluster not found");

    public static readonly byte[] RequestTimeout = Build(408, "Request Timeout", "Timeout", "the request head was not received in time");

    public static readonly byte[] Misdirected = Build(421, "Misdirected Request", "BadRequest",
        "this connection carries /k8s/clusters/ requests only; open a new connection for other paths");

    public static readonly byte[] AuthenticationUnavailable = Build(503, "Service Unavailable", "ServiceUnavailable", "the caller could not be authenticated right now");

    public static readonly byte[] ClusterUnavailable = Build(503, "Service Unavailable", "ServiceUnavailable", "the cluster is not connected (its agent is offline)");

    public static readonly byte[] BadGateway = Build(502, "Bad Gateway", "ServiceUnavailable", "the cluster's API server could not be reached");

    public static readonly byte[] GatewayTimeout = Build(504, "Gateway Timeout", "Timeout", "the cluster's API server did not answer in time");

    public static readonly byte[] Continue = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    /// <summary>The status code of a response built here, for the audit line.</summary>
    public static int StatusOf(byte[] response) => (response[9] - '0') * 100 + (response[10] - '0') * 10 + (response[11] - '0');

    private static byte[] Build(int code, string phrase, string reason, string message, string extraHeaders = "")
    {
        // Messages are fixed ASCII without quotes or backslashes, so no JSON escaping is needed.
        string body = $"{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":\"{message}\",\"reason\":\"{reason}\",\"code\":{code}}}\n";
        string head = $"HTTP/1.1 {code} {phrase}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n{extraHeaders}Content-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        return Encoding.ASCII.GetBytes(head + body);
    }
}
