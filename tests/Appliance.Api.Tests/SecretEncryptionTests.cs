using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Store;

namespace Appliance.Api.Tests;

/// <summary>Secrets are encrypted at rest: the store holds ciphertext, clients see plain objects.</summary>
public sealed class SecretEncryptionTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private const string Password = "correct-horse-battery-staple";

    private static JsonObject Secret(string name) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name },
        ["stringData"] = new JsonObject { ["password"] = Password },
    };

    [Fact]
    public async Task Secret_IsStoredEncrypted_AndReadBackPlain()
    {
        string ns = await server.CreateNamespaceAsync();
        using (HttpResponseMessage created = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/secrets", ApiServerFixture.Json(Secret("db"))))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        byte[] stored = server.Store.Get($"/registry/core/secrets/{ns}/db").Item!.Value;
        string raw = Encoding.Latin1.GetString(stored);
        Assert.StartsWith("k8s:enc:aesgcm:v1:appliance:", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Password)), raw, StringComparison.Ordinal);
        Assert.DoesNotContain("\"db\"", raw, StringComparison.Ordinal);

        JsonObject secret = await ApiServerFixture.ReadObjectAsync(await server.Client.GetAsync($"/api/v1/namespaces/{ns}/secrets/db"));
        Assert.Equal(Password, Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["password"]!)));

        byte[] configMap = await CreateConfigMapAndReadRawAsync(ns);
        Assert.Equal((byte)'{', configMap[0]);
    }

    [Fact]
    public async Task PlainSecretFromBeforeEncryption_IsReadable_AndEncryptedOnItsNextWrite()
    {
        string ns = await server.CreateNamespaceAsync();
        string key = $"/registry/core/secrets/{ns}/legacy";
        var legacy = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "legacy", ["namespace"] = ns, ["uid"] = "u1", ["creationTimestamp"] = "2026-01-01T00:00:00Z" },
            ["type"] = "Opaque",
            ["data"] = new JsonObject { ["k"] = "dmFsdWU=" },
        };
        string json = legacy.ToJsonString();
        Assert.True((await server.Store.CreateAsync(key, Encoding.UTF8.GetBytes(json))).IsOk);

        JsonObject read = await ApiServerFixture.ReadObjectAsync(await server.Client.GetAsync($"/api/v1/namespaces/{ns}/secrets/legacy"));
        Assert.Equal("dmFsdWU=", (string?)read["data"]!["k"]);

        using (HttpResponseMessage patched = await server.Client.PatchAsync($"/api/v1/namespaces/{ns}/secrets/legacy",
            new StringContent("""{"metadata":{"labels":{"touched":"yes"}}}""", Encoding.UTF8, "application/merge-patch+json")))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        }

        Assert.StartsWith("k8s:enc:aesgcm:v1:", Encoding.Latin1.GetString(server.Store.Get(key).Item!.Value), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ciphertext_CopiedUnderAnotherKey_DoesNotDecrypt()
    {
        string ns = await server.CreateNamespaceAsync();
        using (await server.Client.PostAsync($"/api/v1/namespaces/{ns}/secrets", ApiServerFixture.Json(Secret("original"))))
        {
        }

        byte[] sealedValue = server.Store.Get($"/registry/core/secrets/{ns}/original").Item!.Value;
        Assert.True((await server.Store.CreateAsync($"/registry/core/secrets/{ns}/copy", sealedValue)).IsOk);

        using HttpResponseMessage copy = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/secrets/copy");
        Assert.Equal(HttpStatusCode.InternalServerError, copy.StatusCode);
        Assert.DoesNotContain(Password, await copy.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_DeliversDecryptedSecrets()
    {
        string ns = await server.CreateNamespaceAsync();
        using (await server.Client.PostAsync($"/api/v1/namespaces/{ns}/secrets", ApiServerFixture.Json(Secret("watched"))))
        {
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/namespaces/{ns}/secrets?watch=1&timeoutSeconds=2");
        using HttpResponseMessage response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        JsonNode watchEvent = JsonNode.Parse(line!)!;
        Assert.Equal("ADDED", (string?)watchEvent["type"]);
        Assert.Equal(Password, Encoding.UTF8.GetString(Convert.FromBase64String((string)watchEvent["object"]!["data"]!["password"]!)));
    }

    private async Task<byte[]> CreateConfigMapAndReadRawAsync(string ns)
    {
        using (await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps", ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "plain" } })))
        {
        }

        GetResult result = server.Store.Get($"/registry/core/configmaps/{ns}/plain");
        return result.Item!.Value;
    }
}
