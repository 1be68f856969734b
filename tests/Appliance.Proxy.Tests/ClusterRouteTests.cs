using System.Text;

namespace Appliance.Proxy.Tests;

public class ClusterRouteTests
{
    [Theory]
    [InlineData("/k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods?limit=500", "c-m-abc12", "/api/v1/namespaces/default/pods?limit=500")]
    [InlineData("/k8s/clusters/local", "local", "/")]
    [InlineData("/k8s/clusters/local/", "local", "/")]
    [InlineData("/k8s/clusters/c1?timeout=32s", "c1", "/?timeout=32s")]
    [InlineData("/k8s/clusters/c1/version?timeout=32s", "c1", "/version?timeout=32s")]
    [InlineData("/k8s/clusters/c1/api/v1/namespaces/x/services/https:web:443/proxy/a%2Fb", "c1", "/api/v1/namespaces/x/services/https:web:443/proxy/a%2Fb")]
    [InlineData("/k8s/clusters/c1/api?labelSelector=../..", "c1", "/api?labelSelector=../..")]
    [InlineData("/k8s/clusters/c1/a/.../b", "c1", "/a/.../b")]
    [InlineData("/k8s/clusters/my.cluster-1/apis", "my.cluster-1", "/apis")]
    public void ClusterPath_MapsToClusterIdAndUpstreamTarget(string target, string clusterId, string upstreamTarget)
    {
        Assert.Equal(RouteError.None, ClusterRoute.TryParse(Encoding.ASCII.GetBytes(target), out ClusterRoute route));

        Assert.Equal(clusterId, Encoding.ASCII.GetString(route.ClusterId));
        byte[] written = new byte[route.UpstreamTargetLength];
        Assert.Equal(written.Length, route.WriteUpstreamTarget(written));
        Assert.Equal(upstreamTarget, Encoding.ASCII.GetString(written));
    }

    [Theory]
    [InlineData("/api/v1/pods", RouteError.NotClusterPath)]
    [InlineData("/k8s/cluster/c1/api", RouteError.NotClusterPath)]
    [InlineData("/K8S/clusters/c1/api", RouteError.NotClusterPath)]
    [InlineData("/k8s/clustersx/c1", RouteError.NotClusterPath)]
    [InlineData("/k8s/clusters", RouteError.MissingClusterId)]
    [InlineData("/k8s/clusters?x=1", RouteError.MissingClusterId)]
    [InlineData("/k8s/clusters/", RouteError.MissingClusterId)]
    [InlineData("/k8s/clusters/?x=1", RouteError.MissingClusterId)]
    [InlineData("/k8s/clusters//api/v1", RouteError.MissingClusterId)]
    [InlineData("/k8s/clusters/../c2/api", RouteError.DotSegmentClusterId)]
    [InlineData("/k8s/clusters/./api", RouteError.DotSegmentClusterId)]
    [InlineData("/k8s/clusters/..", RouteError.DotSegmentClusterId)]
    [InlineData("/k8s/clusters/%2e%2e/c2/api", RouteError.DotSegmentClusterId)]
    [InlineData("/k8s/clusters/%2E./c2/api", RouteError.DotSegmentClusterId)]
    [InlineData("/k8s/clusters/.%2e?x", RouteError.DotSegmentClusterId)]
    [InlineData("/k8s/clusters/c1%2fc2/api", RouteError.EncodedClusterId)]
    [InlineData("/k8s/clusters/c1%2F..%2Fc2", RouteError.EncodedClusterId)]
    [InlineData("/k8s/clusters/%63%31/api", RouteError.EncodedClusterId)]
    [InlineData("/k8s/clusters/C1/api", RouteError.InvalidClusterId)]
    [InlineData("/k8s/clusters/c_1/api", RouteError.InvalidClusterId)]
    [InlineData("/k8s/clusters/c1;x=y/api", RouteError.InvalidClusterId)]
    [InlineData("/k8s/clusters/c1:443/api", RouteError.InvalidClusterId)]
    [InlineData("/k8s/clusters/c1/../c2/api", RouteError.DotSegmentInPath)]
    [InlineData("/k8s/clusters/c1/api/%2e%2e/x", RouteError.DotSegmentInPath)]
    [InlineData("/k8s/clusters/c1/./api", RouteError.DotSegmentInPath)]
    [InlineData("/k8s/clusters/c1/api/..", RouteError.DotSegmentInPath)]
    [InlineData("/k8s/clusters/c1/api/..?watch=1", RouteError.DotSegmentInPath)]
    public void InvalidClusterPath_IsRejectedWithItsReason(string target, RouteError expected)
    {
        Assert.Equal(expected, ClusterRoute.TryParse(Encoding.ASCII.GetBytes(target), out _));
    }

    [Fact]
    public void ClusterId_LongerThanAnObjectName_IsRejected()
    {
        string target = "/k8s/clusters/" + new string('a', ClusterRoute.MaxClusterIdLength + 1) + "/api";

        Assert.Equal(RouteError.InvalidClusterId, ClusterRoute.TryParse(Encoding.ASCII.GetBytes(target), out _));
        Assert.Equal(RouteError.None, ClusterRoute.TryParse(Encoding.ASCII.GetBytes(target.Remove(15, 1)), out _));
    }
}
