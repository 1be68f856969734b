using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Api.Tests;

/// <summary>Failed logins brake further attempts: doubling lock-outs per username and per address.</summary>
public sealed class LoginThrottleTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public void AfterFiveFailures_EachFailureDoublesTheLockout_AndASuccessClearsIt()
    {
        var time = new FakeTimeProvider();
        var throttle = new LoginThrottle(time);
        for (int i = 0; i < LoginThrottle.FreeFailures; i++)
        {
            throttle.Failed("alice", "10.0.0.1");
            Assert.Equal(TimeSpan.Zero, throttle.RetryAfter("alice", "10.0.0.1"));
        }

        throttle.Failed("alice", "10.0.0.1");
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("alice", "10.0.0.9"));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter("bob", "10.0.0.1"));
        throttle.Failed("alice", "10.0.0.1");
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.RetryAfter("ALICE", null));

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter("alice", "10.0.0.1"));
        throttle.Succeeded("alice", "10.0.0.1");
        throttle.Failed("alice", "10.0.0.1");
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter("alice", "10.0.0.1"));
    }

    [Fact]
    public void Lockout_IsCappedAt15Minutes_AndAStreakEndsAfterAQuietSpell()
    {
        var time = new FakeTimeProvider();
        var throttle = new LoginThrottle(time);
        for (int i = 0; i < 40; i++)
        {
            throttle.Failed("mallory", null);
        }

        Assert.Equal(LoginThrottle.MaxLockout, throttle.RetryAfter("mallory", null));
        time.Advance(LoginThrottle.MaxLockout + TimeSpan.FromSeconds(1));
        throttle.Failed("mallory", null);
        Assert.Equal(TimeSpan.Zero, throttle.RetryAfter("mallory", null));
    }

    [Fact]
    public async Task Login_AfterRepeatedFailures_Is429WithRetryAfter_EvenWithTheRightPassword()
    {
        string userId = "u-" + Guid.NewGuid().ToString("N")[..8];
        await server.IssueTokenAsync(userId);
        await server.Services.GetRequiredService<LocalPasswords>().SetAsync(userId, "the-right-password");
        using HttpClient anonymous = server.CreateClient(null);

        async Task<HttpResponseMessage> LoginAsync(string password)
            => await anonymous.PostAsync("/v3-public/localProviders/local?action=login",
                ApiServerFixture.Json(new JsonObject { ["username"] = userId, ["password"] = password }));

        for (int i = 0; i <= LoginThrottle.FreeFailures; i++)
        {
            using HttpResponseMessage wrong = await LoginAsync("wrong-password-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (HttpResponseMessage braked = await LoginAsync("the-right-password"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, braked.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), braked.Headers.RetryAfter?.Delta);
        }

        HttpStatusCode status = HttpStatusCode.TooManyRequests;
        for (int attempt = 0; attempt < 100 && status == HttpStatusCode.TooManyRequests; attempt++)
        {
            await Task.Delay(50);
            using HttpResponseMessage retry = await LoginAsync("the-right-password");
            status = retry.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Created, status);
    }
}
