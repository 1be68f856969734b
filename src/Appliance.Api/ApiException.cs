namespace Appliance.Api;

/// <summary>
/// Ends a request with a Kubernetes Status. Thrown inside the engine's request handling and turned into
/// the response in one place (<see cref="ResourceEngine"/>'s dispatcher), so validation code reads straight.
/// </summary>
public sealed class ApiException(ApiStatus status) : Exception(status.Message)
{
    public ApiStatus Status { get; } = status;
}
