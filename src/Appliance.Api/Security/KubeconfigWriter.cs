using System.Text;

namespace Appliance.Api.Security;

/// <summary>
/// The kubeconfig YAML the server hands out (a login with <c>responseType: kubeconfig</c>, Rancher's
/// <c>generateKubeconfig</c>): one cluster and context per cluster id, each pointing at this server's proxy
/// (<c>{server}/k8s/clusters/{id}</c>), and one user holding the token. Kept here, below both callers, so
/// there is one copy of the format.
/// </summary>
public static class KubeconfigWriter
{
    /// <summary>The YAML; the first context is current. <paramref name="caPem"/> empty: no CA data (the system's trust store verifies).</summary>
    public static string Build(string serverUrl, string caPem, string userId, string token, IReadOnlyList<string> clusterIds)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);
        ArgumentNullException.ThrowIfNull(caPem);
        ArgumentNullException.ThrowIfNull(clusterIds);
        string caLine = caPem.Length == 0 ? "" : $"    certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem))}\n";
        // An empty list is written inline ("clusters: []"): "[]" on the line below the key is not valid YAML.
        var yaml = new StringBuilder("apiVersion: v1\nkind: Config\n");
        yaml.Append(clusterIds.Count == 0 ? "clusters: []\n" : "clusters:\n");
        foreach (string id in clusterIds)
        {
            yaml.Append($"- name: \"{id}\"\n  cluster:\n    server: \"{serverUrl}/k8s/clusters/{id}\"\n{caLine}");
        }

        yaml.Append($"users:\n- name: \"{userId}\"\n  user:\n    token: \"{token}\"\n");
        yaml.Append(clusterIds.Count == 0 ? "contexts: []\n" : "contexts:\n");
        foreach (string id in clusterIds)
        {
            yaml.Append($"- name: \"{id}\"\n  context:\n    cluster: \"{id}\"\n    user: \"{userId}\"\n");
        }

        yaml.Append(clusterIds.Count > 0 ? $"current-context: \"{clusterIds[0]}\"\n" : "current-context: \"\"\n");
        return yaml.ToString();
    }
}
