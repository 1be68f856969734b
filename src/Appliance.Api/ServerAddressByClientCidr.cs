namespace Appliance.Api;

/// <summary><c>meta/v1 ServerAddressByClientCIDR</c>; kube-apiserver always sends one for 0.0.0.0/0.</summary>
public sealed class ServerAddressByClientCidr
{
    public required string ClientCIDR { get; init; }

    public required string ServerAddress { get; init; }
}
