namespace Appliance.Auth;

/// <summary>Who a valid service-account token names, and until when it is valid.</summary>
public readonly record struct ServiceAccountClaims(string Namespace, string Name, string Uid, DateTimeOffset Expires);
