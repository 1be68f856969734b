namespace Appliance.Api.Tests;

/// <summary>kubectl's RBAC commands end to end: auth can-i/whoami, create role/rolebinding, and a user without rights.</summary>
public sealed class KubectlRbacTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task AuthCanI_ForAnImpersonatedUser_FollowsTheRoleBindingKubectlCreated()
    {
        string ns = await server.CreateNamespaceAsync();
        KubectlResult before = await server.RunKubectlAsync($"auth can-i list configmaps -n {ns} --as dana");
        Assert.Equal(1, before.ExitCode);
        Assert.Equal("no", before.Stdout.Trim());

        KubectlResult role = await server.RunKubectlAsync($"create role cm-reader --verb=get,list --resource=configmaps -n {ns}");
        Assert.True(role.ExitCode == 0, role.ToString());
        KubectlResult binding = await server.RunKubectlAsync($"create rolebinding dana-reads --role=cm-reader --user=dana -n {ns}");
        Assert.True(binding.ExitCode == 0, binding.ToString());

        KubectlResult after = await server.RunKubectlAsync($"auth can-i list configmaps -n {ns} --as dana");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Equal("yes", after.Stdout.Trim());
        Assert.Equal("no", (await server.RunKubectlAsync($"auth can-i delete configmaps -n {ns} --as dana")).Stdout.Trim());
        Assert.Equal("no", (await server.RunKubectlAsync("auth can-i list configmaps -n default --as dana")).Stdout.Trim());

        KubectlResult get = await server.RunKubectlAsync($"get rolebinding dana-reads -n {ns}");
        Assert.Contains("Role/cm-reader", get.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserWithoutRights_GetsForbiddenFromKubectl()
    {
        string token = await server.IssueTokenAsync("u-norights");
        KubectlResult result = await server.RunKubectlAsync($"--token {token} get secrets -n default");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Error from server (Forbidden): secrets is forbidden: User \"u-norights\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\"", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthWhoami_PrintsTheCallerAndTheirGroups()
    {
        KubectlResult result = await server.RunKubectlAsync("auth whoami --as erin --as-group qa");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"Username\s+erin", result.Stdout);
        Assert.Matches(@"Groups\s+\[qa system:authenticated\]", result.Stdout);
    }

    [Fact]
    public async Task CreateServiceAccountAndClusterRoleBinding_AreServedToKubectl()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"create serviceaccount deployer -n {ns}")).ExitCode);
        KubectlResult binding = await server.RunKubectlAsync($"create clusterrolebinding deployer-{ns} --clusterrole=edit --serviceaccount={ns}:deployer");
        Assert.True(binding.ExitCode == 0, binding.ToString());
        KubectlResult canI = await server.RunKubectlAsync($"auth can-i create secrets -n default --as system:serviceaccount:{ns}:deployer");
        Assert.Equal("yes", canI.Stdout.Trim());
    }
}
