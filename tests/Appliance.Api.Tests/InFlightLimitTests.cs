using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>An API server that serves one read and one write at a time.</summary>
public sealed class OneAtATimeApiServerFixture : ApiServerFixture
{
    protected override void ConfigureApi(ApiOptions options)
    {
        options.MaxRequestsInFlight = 1;
        options.MaxMutatingRequestsInFlight = 1;
    }
}

/// <summary>kube-apiserver's in-flight limits: 429 with Retry-After beyond them; watches are not counted.</summary>
public sealed class InFlightLimitTests(OneAtATimeApiServerFixture server) : IClassFixture<OneAtATimeApiServerFixture>
{
    /// <summary>A request body that sends its first bytes, then waits to be released.</summary>
    private sealed class HeldBody(TaskCompletionSource release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes("{\"metadata\":{\"name\":\"held\"}"));
            await stream.FlushAsync();
            await release.Task;
            await stream.WriteAsync(Encoding.UTF8.GetBytes("}"));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task WriteBeyondTheLimit_Is429WithRetryAfter_WhileReadsAndWatchesGoOn()
    {
        string ns = await server.CreateNamespaceAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var heldContent = new HeldBody(release);
        heldContent.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using HttpClient heldClient = server.CreateClient(server.AdminToken);
        Task<HttpResponseMessage> held = heldClient.PostAsync($"/api/v1/namespaces/{ns}/configmaps", heldContent);

        // The held create occupies the one write slot once the server reads its body; nothing else writes
        // meanwhile, so it cannot itself be the one refused.
        ApiSecurity gate = server.Services.GetRequiredService<ApiSecurity>();
        for (int attempt = 0; attempt < 400 && gate.WritesInFlight == 0; attempt++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(1, gate.WritesInFlight);
        HttpResponseMessage refused = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps",
            ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "probe" } }));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        using (refused)
        {
            Assert.Equal("1", refused.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            JsonObject status = await ApiServerFixture.ReadObjectAsync(refused);
            Assert.Equal("TooManyRequests", (string?)status["reason"]);
            Assert.Equal(1, (int?)status["details"]!["retryAfterSeconds"]);
        }

        using (HttpResponseMessage watch = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=5", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
            using HttpResponseMessage read = await server.Client.GetAsync($"/api/v1/namespaces/{ns}/configmaps");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        release.SetResult();
        using HttpResponseMessage created = await held.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using HttpResponseMessage after = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps",
            ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "after" } }));
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
    }
}
