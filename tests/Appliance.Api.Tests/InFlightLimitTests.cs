using System.Net;
using System.Text;
using System.Text.Json.Nodes;

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
        using HttpClient heldClient = server.CreateClient(server.AdminToken);
        Task<HttpResponseMessage> StartHeld()
        {
            var content = new HeldBody(release);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            return heldClient.PostAsync($"/api/v1/namespaces/{ns}/configmaps", content);
        }

        Task<HttpResponseMessage> held = StartHeld();

        // The held create occupies the one write slot as soon as the server reads its body. It can itself be
        // refused when it arrives while a probe holds the slot: then it is sent again.
        HttpResponseMessage? refused = null;
        for (int attempt = 0; attempt < 200 && refused is null; attempt++)
        {
            if (held.IsCompleted)
            {
                (await held).Dispose();
                held = StartHeld();
                await Task.Delay(20);
                continue;
            }

            HttpResponseMessage response = await server.Client.PostAsync($"/api/v1/namespaces/{ns}/configmaps",
                ApiServerFixture.Json(new JsonObject { ["metadata"] = new JsonObject { ["name"] = "probe-" + attempt } }));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                response.Dispose();
                await Task.Delay(20);
            }
        }

        Assert.NotNull(refused);
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
