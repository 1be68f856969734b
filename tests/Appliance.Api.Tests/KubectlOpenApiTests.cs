using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>
/// The real kubectl (v1.32) with its default client-side settings: validation on (it reads /openapi/v3
/// and sends fieldValidation=Strict), apply computing its patch from the published schemas, explain.
/// Nothing here passes --validate=false, and a clean run prints nothing on stderr.
/// </summary>
public sealed class KubectlOpenApiTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task KubectlCreateFromFile_ValidatesAgainstTheServer_WithoutWarnings()
    {
        string ns = await server.CreateNamespaceAsync();
        KubectlResult created = await KubectlWithManifestAsync($"-n {ns} create -f {{0}}", ConfigMap("from-file", "mode: fast"));
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("configmap/from-file created", created.Stdout.Trim());
        Assert.Equal("", created.Stderr);
    }

    [Fact]
    public async Task KubectlApplyTwice_CreatesThenConfigures_WithoutWarnings()
    {
        string ns = await server.CreateNamespaceAsync();
        KubectlResult first = await KubectlWithManifestAsync($"-n {ns} apply -f {{0}}", ConfigMap("applied", "mode: fast\n  keep: yes-please"));
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("configmap/applied created", first.Stdout.Trim());
        Assert.Equal("", first.Stderr);

        KubectlResult second = await KubectlWithManifestAsync($"-n {ns} apply -f {{0}}", ConfigMap("applied", "mode: slow"));
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal("configmap/applied configured", second.Stdout.Trim());
        Assert.Equal("", second.Stderr);

        JsonNode data = (await GetJsonAsync($"-n {ns} get configmap applied -o json"))["data"]!;
        Assert.Equal("slow", (string?)data["mode"]);
        Assert.Null(data["keep"]);
    }

    [Fact]
    public async Task KubectlApplyTwice_RoleAndPod_WithoutWarnings()
    {
        string ns = await server.CreateNamespaceAsync();
        string role = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata:
              name: reader
            rules:
            - apiGroups: [""]
              resources: ["configmaps"]
              verbs: [VERBS]
            """;
        string pod = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
            spec:
              containers:
              - name: web
                image: IMAGE
                env:
                - name: MODE
                  value: fast
                resources:
                  limits:
                    cpu: "1"
            """;
        foreach ((string verbs, string image, string verb) in new[] { ("get", "nginx:1.26", "created"), ("get, list", "nginx:1.27", "configured") })
        {
            KubectlResult applied = await KubectlWithManifestAsync($"-n {ns} apply -f {{0}}", role.Replace("VERBS", verbs, StringComparison.Ordinal) + "\n---\n" + pod.Replace("IMAGE", image, StringComparison.Ordinal));
            Assert.True(applied.ExitCode == 0, applied.ToString());
            Assert.Equal($"role.rbac.authorization.k8s.io/reader {verb}\npod/web {verb}", applied.Stdout.Trim());
            Assert.Equal("", applied.Stderr);
        }

        JsonNode roleJson = await GetJsonAsync($"-n {ns} get role reader -o json");
        Assert.Equal(["get", "list"], roleJson["rules"]![0]!["verbs"]!.AsArray().Select(v => (string?)v));
        JsonNode podJson = await GetJsonAsync($"-n {ns} get pod web -o json");
        Assert.Equal("nginx:1.27", (string?)podJson["spec"]!["containers"]![0]!["image"]);
        Assert.Equal("1", (string?)podJson["spec"]!["containers"]![0]!["resources"]!["limits"]!["cpu"]);
    }

    [Fact]
    public async Task KubectlReplaceFromFile_ReplacesWithoutWarnings()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await KubectlWithManifestAsync($"-n {ns} create -f {{0}}", ConfigMap("replaced", "mode: fast"))).ExitCode);

        KubectlResult replaced = await KubectlWithManifestAsync($"-n {ns} replace -f {{0}}", ConfigMap("replaced", "mode: slow"));
        Assert.True(replaced.ExitCode == 0, replaced.ToString());
        Assert.Equal("configmap/replaced replaced", replaced.Stdout.Trim());
        Assert.Equal("", replaced.Stderr);
        Assert.Equal("slow", (string?)(await GetJsonAsync($"-n {ns} get configmap replaced -o json"))["data"]!["mode"]);
    }

    [Fact]
    public async Task KubectlEdit_SavesTheChange_WithoutWarnings()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await server.RunKubectlAsync($"-n {ns} create configmap edited --from-literal=mode=slow")).ExitCode);

        KubectlResult edit = await server.RunKubectlAsync($"-n {ns} edit configmap edited", environment: new() { ["EDITOR"] = "sed -i s/mode:\\ slow/mode:\\ fast/" });
        Assert.True(edit.ExitCode == 0, edit.ToString());
        Assert.Equal("configmap/edited edited", edit.Stdout.Trim());
        Assert.Equal("", edit.Stderr);
        Assert.Equal("fast", (string?)(await GetJsonAsync($"-n {ns} get configmap edited -o json"))["data"]!["mode"]);
    }

    [Fact]
    public async Task KubectlCreate_WithAnUnknownField_FailsWithKubesStrictDecodingError()
    {
        string ns = await server.CreateNamespaceAsync();
        KubectlResult created = await KubectlWithManifestAsync($"-n {ns} create -f {{0}}", ConfigMap("typo", "mode: fast") + "\nspec:\n  mode: fast\n");
        Assert.NotEqual(0, created.ExitCode);
        Assert.Contains("Error from server (BadRequest): error when creating", created.Stderr);
        Assert.Contains("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"spec\"", created.Stderr);
        Assert.NotEqual(0, (await server.RunKubectlAsync($"-n {ns} get configmap typo")).ExitCode);
    }

    [Fact]
    public async Task KubectlApply_AddingAnUnknownFieldLater_FailsOnThePatch()
    {
        string ns = await server.CreateNamespaceAsync();
        Assert.Equal(0, (await KubectlWithManifestAsync($"-n {ns} apply -f {{0}}", ConfigMap("later", "mode: fast"))).ExitCode);

        KubectlResult applied = await KubectlWithManifestAsync($"-n {ns} apply -f {{0}}", ConfigMap("later", "mode: slow") + "\ndta:\n  mode: slow\n");
        Assert.NotEqual(0, applied.ExitCode);
        Assert.Contains("strict decoding error: unknown field \"dta\"", applied.Stderr);
        Assert.Equal("fast", (string?)(await GetJsonAsync($"-n {ns} get configmap later -o json"))["data"]!["mode"]);
    }

    [Fact]
    public async Task KubectlCreate_WithValidateWarn_PrintsTheServersWarning_AndDropsTheField()
    {
        string ns = await server.CreateNamespaceAsync();
        KubectlResult created = await KubectlWithManifestAsync($"-n {ns} create --validate=warn -f {{0}}", ConfigMap("warned", "mode: fast") + "\nspec:\n  mode: fast\n");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("Warning: unknown field \"spec\"", created.Stderr.Trim());
        Assert.Null((await GetJsonAsync($"-n {ns} get configmap warned -o json"))["spec"]);
    }

    [Fact]
    public async Task KubectlExplainConfigMap_PrintsItsFields()
    {
        KubectlResult explained = await server.RunKubectlAsync("explain configmap");
        Assert.True(explained.ExitCode == 0, explained.ToString());
        Assert.Matches(@"(?m)^KIND:\s+ConfigMap$", explained.Stdout);
        Assert.Matches(@"(?m)^VERSION:\s+v1$", explained.Stdout);
        Assert.Matches(@"(?m)^  data\s+<map\[string\]string>$", explained.Stdout);
        Assert.Matches(@"(?m)^  metadata\s+<ObjectMeta>$", explained.Stdout);
        Assert.Equal("", explained.Stderr);
    }

    [Fact]
    public async Task KubectlExplainRoleRules_FollowsTheReferenceToPolicyRule()
    {
        KubectlResult explained = await server.RunKubectlAsync("explain role.rules");
        Assert.True(explained.ExitCode == 0, explained.ToString());
        Assert.Matches(@"(?m)^GROUP:\s+rbac.authorization.k8s.io$", explained.Stdout);
        Assert.Matches(@"(?m)^FIELD: rules <\[\]PolicyRule>$", explained.Stdout);
        Assert.Matches(@"(?m)^  verbs\s+<\[\]string> -required-$", explained.Stdout);
        Assert.Matches(@"(?m)^  resourceNames\s+<\[\]string>$", explained.Stdout);
    }

    [Fact]
    public async Task KubectlExplainSetting_PrintsOurOwnKind()
    {
        KubectlResult explained = await server.RunKubectlAsync("explain setting.value");
        Assert.True(explained.ExitCode == 0, explained.ToString());
        Assert.Matches(@"(?m)^GROUP:\s+management.appliance.io$", explained.Stdout);
        Assert.Matches(@"(?m)^FIELD: value <string>$", explained.Stdout);
    }

    private static string ConfigMap(string name, string data) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {name}
        data:
          {data}
        """;

    /// <summary>Runs kubectl with <paramref name="manifest"/> in a temporary file named by {0} in <paramref name="arguments"/>.</summary>
    private async Task<KubectlResult> KubectlWithManifestAsync(string arguments, string manifest)
    {
        string file = Path.Combine(Path.GetTempPath(), $"openapi-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, manifest);
        try
        {
            return await server.RunKubectlAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, arguments, file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<JsonNode> GetJsonAsync(string arguments)
    {
        KubectlResult result = await server.RunKubectlAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonNode.Parse(result.Stdout)!;
    }
}
