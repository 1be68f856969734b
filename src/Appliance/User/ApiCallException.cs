using System.Net;

namespace Appliance.User;

/// <summary>The server answered outside 2xx; <see cref="Exception.Message"/> is its own message.</summary>
internal sealed class ApiCallException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
