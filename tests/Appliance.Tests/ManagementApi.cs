using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Auth;

namespace Appliance.Tests;

/// <summary>What the end-to-end tests do on a running server's API: as its admin, post objects, make users with tokens.</summary>
internal static class ManagementApi
{
    /// <summary>A client of <paramref name="server"/> carrying the admin token of its <c>admin.kubeconfig</c>.</summary>
    public static HttpClient AdminClient(ApplianceProcess server, string dataDir)
    {
        HttpClient client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken(dataDir));
        return client;
    }

    public static string AdminToken(string dataDir)
        => File.ReadAllLines(Path.Combine(dataDir, "admin.kubeconfig")).Single(static l => l.TrimStart().StartsWith("token: ", StringComparison.Ordinal)).Trim()["token: ".Length..];

    /// <summary>POSTs <paramref name="body"/>, asserting 201; returns the created object.</summary>
    public static async Task<JsonObject> PostAsync(HttpClient client, string path, JsonObject body)
    {
        using HttpResponseMessage response = await client.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path}: {(int)response.StatusCode} {text}");
        return (JsonObject)JsonNode.Parse(text)!;
    }

    /// <summary>A User on the server and a Token for it, hashed under that server's key as the auth layer does.</summary>
    public static async Task<string> CreateUserWithTokenAsync(HttpClient admin, string dataDir, string userId, string displayName)
    {
        await PostAsync(admin, "/apis/management.appliance.io/v1/users", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = userId },
            ["username"] = userId,
            ["displayName"] = displayName,
            ["principalIds"] = new JsonArray("local://" + userId),
        });
        ApiToken token = ApiToken.Generate();
        var hasher = new TokenHasher(ServerKeyFile.LoadOrCreate(dataDir));
        await PostAsync(admin, "/apis/management.appliance.io/v1/tokens", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = token.Name },
            ["userId"] = userId,
            ["hash"] = Convert.ToBase64String(hasher.Hash(token.Secret)),
            ["type"] = "kubeconfig",
        });
        return token.ToString();
    }
}
