namespace Appliance.Api.Security;

/// <summary>Allowed or not, and why (the RBAC binding that allowed it; SelfSubjectAccessReview reports it).</summary>
public readonly record struct AuthorizationDecision(bool Allowed, string Reason);
