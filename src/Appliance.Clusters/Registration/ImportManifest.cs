using System.Security.Cryptography;
using System.Text;

namespace Appliance.Clusters.Registration;

/// <summary>
/// The manifest behind <c>GET /v3/import/{token}.yaml</c>: what a user applies to a downstream cluster with
/// kubectl so that its agent dials back. The impersonator service account may only impersonate; there is no
/// long-lived token Secret for it (the agent gets short-lived ones through TokenRequest).
/// </summary>
public static class ImportManifest
{
    /// <summary>The checksum an agent compares the server's CA with (Rancher's CA checksum): SHA-256 of the PEM, lower-case hex.</summary>
    public static string CaChecksum(string caCertificatePem)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(caCertificatePem)));

    public static string Build(string serverUrl, string registrationToken, string caChecksum, string agentImage)
    {
        // Every value is quoted as a YAML double-quoted scalar; none of them may carry a quote or a line break.
        string server = Quote(serverUrl);
        string token = Quote(registrationToken);
        string checksum = Quote(caChecksum);
        string image = Quote(agentImage);
        return $"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: appliance-system
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: appliance-agent
              namespace: appliance-system
            ---
            # The agent creates role bindings of any role the server's role templates hold, and reads nodes.
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: appliance-agent
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: cluster-admin
            subjects:
            - kind: ServiceAccount
              name: appliance-agent
              namespace: appliance-system
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: appliance-impersonator
              namespace: appliance-system
            ---
            # What the proxy's calls run as: it may impersonate users, groups and the extras the proxy sets, and nothing else.
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: appliance-impersonator
            rules:
            - apiGroups: [""]
              resources: ["users", "groups"]
              verbs: ["impersonate"]
            - apiGroups: ["authentication.k8s.io"]
              resources: ["userextras/principalid", "userextras/username", "userextras/requesttokenid"]
              verbs: ["impersonate"]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: appliance-impersonator
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: appliance-impersonator
            subjects:
            - kind: ServiceAccount
              name: appliance-impersonator
              namespace: appliance-system
            ---
            apiVersion: v1
            kind: Secret
            metadata:
              name: appliance-agent-registration
              namespace: appliance-system
            type: Opaque
            stringData:
              token: {token}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: appliance-agent
              namespace: appliance-system
            spec:
              replicas: 1
              selector:
                matchLabels:
                  app: appliance-agent
              template:
                metadata:
                  labels:
                    app: appliance-agent
                spec:
                  serviceAccountName: appliance-agent
                  containers:
                  - name: agent
                    image: {image}
                    args: ["agent", "--server", {server}, "--ca-checksum", {checksum}, "--token", "$(APPLIANCE_TOKEN)"]
                    env:
                    - name: APPLIANCE_TOKEN
                      valueFrom:
                        secretKeyRef:
                          name: appliance-agent-registration
                          key: token

            """;
    }

    private static string Quote(string value)
    {
        foreach (char c in value)
        {
            if (c is '"' or '\\' or '\n' or '\r' || char.IsControl(c))
            {
                throw new ArgumentException("A manifest value cannot hold quotes, backslashes or control characters.", nameof(value));
            }
        }

        return "\"" + value + "\"";
    }
}
