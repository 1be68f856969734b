using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>Every API request leaves one JSON line: who was served, who asked, what, and the answer; never a token.</summary>
public sealed class ApiAuditLogTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private async Task<JsonObject> WaitForLineAsync(Func<JsonObject, bool> match)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            foreach (string line in (await server.ReadAuditLogAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (JsonNode.Parse(line) is JsonObject entry && match(entry))
                {
                    return entry;
                }
            }

            await Task.Delay(25);
        }

        Assert.Fail("no such audit line");
        return null!;
    }

    [Fact]
    public async Task ImpersonatedForbiddenList_IsAuditedWithBothIdentities()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/secrets?limit=5");
        request.Headers.Add("Impersonate-User", "audited-mallory");
        using HttpResponseMessage response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);

        JsonObject entry = await WaitForLineAsync(static e => (string?)e["user"] == "audited-mallory");
        Assert.StartsWith("u-", (string?)entry["impersonator"], StringComparison.Ordinal);
        Assert.Equal("list", (string?)entry["verb"]);
        Assert.Equal("/api/v1/namespaces/default/secrets", (string?)entry["path"]);
        Assert.Equal(403, (int?)entry["status"]);
        Assert.True((double)entry["durationMs"]! >= 0);
    }

    [Fact]
    public async Task HandlerThatThrows_IsAuditedAsItsCallerWith500()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/audited-handler-that-throws";
        context.Request.Headers.Authorization = "Bearer " + server.AdminToken;
        ApiSecurity security = server.Services.GetRequiredService<ApiSecurity>();

        await Assert.ThrowsAsync<InvalidOperationException>(() => security.InvokeAsync(context, _ => throw new InvalidOperationException("the handler failed")));

        JsonObject entry = await WaitForLineAsync(static e => (string?)e["path"] == "/audited-handler-that-throws");
        Assert.StartsWith("u-", (string?)entry["user"], StringComparison.Ordinal);
        Assert.Equal(500, (int?)entry["status"]);
    }

    [Fact]
    public async Task UnauthenticatedRequest_IsAuditedAsAnonymous_AndNoTokenIsEverWritten()
    {
        using HttpClient stranger = server.CreateClient("token-qqqqq:" + new string('s', 54));
        using HttpResponseMessage response = await stranger.DeleteAsync("/api/v1/namespaces/default");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        JsonObject entry = await WaitForLineAsync(static e => (string?)e["verb"] == "delete" && (int?)e["status"] == 401);
        Assert.Equal("system:anonymous", (string?)entry["user"]);
        string log = await File.ReadAllTextAsync(server.AuditLogPath);
        Assert.DoesNotContain(new string('s', 54), log, StringComparison.Ordinal);
        Assert.DoesNotContain(server.AdminToken[(server.AdminToken.IndexOf(':', StringComparison.Ordinal) + 1)..], log, StringComparison.Ordinal);
    }
}
