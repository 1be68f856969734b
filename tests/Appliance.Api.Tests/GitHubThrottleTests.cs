using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;

namespace Appliance.Api.Tests;

/// <summary>
/// The login brake on GitHub sign-in, on a server of its own (the brake counts per client address, and this test
/// locks 127.0.0.1 out). A GitHub login names nobody before GitHub answers, so the address alone is counted: a
/// refused callback costs no GitHub round trip, and GitHub is never asked here.
/// </summary>
public sealed class GitHubThrottleTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task RepeatedRefusals_FromOneAddress_Are429WithRetryAfter()
    {
        using (HttpResponseMessage secret = await server.Client.PostAsync("/api/v1/namespaces/appliance-system/secrets", ApiServerFixture.Json(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "github-oauth" },
            ["stringData"] = new JsonObject { ["clientSecret"] = "0123456789abcdef0123456789abcdef01234567" },
        })))
        {
            Assert.True(secret.IsSuccessStatusCode, await secret.Content.ReadAsStringAsync());
        }

        using (HttpResponseMessage config = await server.Client.PostAsync("/apis/management.appliance.io/v1/authconfigs", ApiServerFixture.Json(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "github" },
            ["enabled"] = true,
            ["hostname"] = "github.example.test",
            ["clientId"] = "Ov23liABCDEFGHIJKLMN",
            ["clientSecretSecretRef"] = new JsonObject { ["namespace"] = "appliance-system", ["name"] = "github-oauth" },
        })))
        {
            Assert.True(config.IsSuccessStatusCode, await config.Content.ReadAsStringAsync());
        }

        using HttpClient browser = server.CreateRawClient();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? throttled = null;
        for (int attempt = 0; attempt < LoginThrottle.FreeFailures + 3 && throttled is null; attempt++)
        {
            // No pending cookie: refused before GitHub is asked.
            HttpResponseMessage response = await browser.PostAsync(GitHubSignIn.Path + "?action=login",
                ApiServerFixture.Json(new JsonObject { ["code"] = "0123456789abcdef0123", ["state"] = "s" + attempt }));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throttled = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(throttled);
        using (throttled)
        {
            Assert.All(statuses[..^1], status => Assert.Equal(HttpStatusCode.Unauthorized, status));
            Assert.True(statuses.Count > LoginThrottle.FreeFailures);
            Assert.NotNull(throttled.Headers.RetryAfter);
        }
    }
}
