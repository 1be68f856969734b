namespace Appliance.Clusters;

/// <summary>Names the cluster parts share with the API and with downstream clusters.</summary>
internal static class ObjectNames
{
    public const string ManagementGroup = "management.appliance.io";

    /// <summary>The namespace of the agent and impersonator service accounts, here and in every downstream cluster.</summary>
    public const string SystemNamespace = "appliance-system";

    public const string ImpersonatorServiceAccount = "appliance-impersonator";

    public const string AgentServiceAccount = "appliance-agent";
}
