using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Appliance.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>
/// Rancher's token lifetime Settings: <c>auth-user-session-ttl-minutes</c>, <c>kubeconfig-default-token-ttl-minutes</c>
/// and <c>auth-token-max-ttl-minutes</c>, applied to the next token without a restart. A server of its own, since
/// the Settings apply to every token.
/// </summary>
public sealed class TokenLifetimeSettingsTests(SessionApiServer server) : IClassFixture<SessionApiServer>
{
    private const string Password = "lifetime-settings-password";

    private async Task SetAsync(string name, string value)
    {
        string path = "/apis/management.appliance.io/v1/settings/" + name;
        var setting = new JsonObject { ["apiVersion"] = "management.appliance.io/v1", ["kind"] = "Setting", ["metadata"] = new JsonObject { ["name"] = name }, ["value"] = value };
        using HttpResponseMessage current = await server.Client.GetAsync(path);
        using HttpResponseMessage written = current.StatusCode == HttpStatusCode.OK
            ? await server.Client.PutAsync(path, ApiServerFixture.Json(Versioned(setting, await ApiServerFixture.ReadObjectAsync(current))))
            : await server.Client.PostAsync("/apis/management.appliance.io/v1/settings", ApiServerFixture.Json(setting));
        Assert.True(written.IsSuccessStatusCode, await written.Content.ReadAsStringAsync());
    }

    private static JsonObject Versioned(JsonObject setting, JsonObject current)
    {
        setting["metadata"]!["resourceVersion"] = current["metadata"]!["resourceVersion"]!.DeepClone();
        return setting;
    }

    private async Task<string> CreateUserAsync()
    {
        string userId = "u-" + Guid.NewGuid().ToString("N")[..8];
        await server.IssueTokenAsync(userId);
        await server.Services.GetRequiredService<LocalPasswords>().SetAsync(userId, Password);
        return userId;
    }

    /// <summary>Logs in with <paramref name="ttl"/> (ms) when given; the new token's time left and the answer's ttl.</summary>
    private async Task<(TimeSpan Left, long Ttl)> LoginAsync(string userId, string responseType = "json", long? ttl = null)
    {
        using HttpClient anonymous = server.CreateClient(null);
        var body = new JsonObject { ["username"] = userId, ["password"] = Password, ["responseType"] = responseType };
        if (ttl is not null)
        {
            body["ttl"] = ttl;
        }

        using HttpResponseMessage response = await anonymous.PostAsync("/v3-public/localProviders/local?action=login", ApiServerFixture.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        string token;
        long answeredTtl = 0;
        if (responseType == "kubeconfig")
        {
            string yaml = await response.Content.ReadAsStringAsync();
            token = yaml[(yaml.IndexOf("token: \"", StringComparison.Ordinal) + 8)..].Split('"')[0];
        }
        else
        {
            JsonObject answer = await ApiServerFixture.ReadObjectAsync(response);
            token = (string)answer["token"]!;
            answeredTtl = (long)answer["ttl"]!;
        }

        return (await LeftAsync(token), answeredTtl);
    }

    private async Task<TimeSpan> LeftAsync(string token)
    {
        JsonObject stored = await ApiServerFixture.ReadObjectAsync(await server.Client.GetAsync("/apis/management.appliance.io/v1/tokens/" + token.Split(':')[0]));
        return stored["expiresAt"] is JsonNode expiresAt ? DateTimeOffset.Parse((string)expiresAt!, CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow : TimeSpan.MaxValue;
    }

    private static void Near(TimeSpan expected, TimeSpan actual) => Assert.InRange(actual, expected - TimeSpan.FromMinutes(2), expected);

    [Fact]
    public async Task TheSettings_ApplyToTheNextToken_AndARequestedTtlAboveTheMaximumIsClamped()
    {
        string userId = await CreateUserAsync();
        using HttpClient user = server.CreateClient(await server.IssueTokenAsync(userId));
        try
        {
            // The defaults: 16 h sessions, 30-day kubeconfigs, and nothing above 90 days.
            Near(TimeSpan.FromHours(16), (await LoginAsync(userId)).Left);
            Near(TimeSpan.FromDays(30), (await LoginAsync(userId, "kubeconfig")).Left);
            Near(TimeSpan.FromDays(90), (await LoginAsync(userId, ttl: (long)TimeSpan.FromDays(400).TotalMilliseconds)).Left);

            await SetAsync(TokenLifetimes.SessionSetting, "30");
            await SetAsync(TokenLifetimes.KubeconfigSetting, "120");
            (TimeSpan left, long ttl) = await LoginAsync(userId);
            Near(TimeSpan.FromMinutes(30), left);
            Assert.Equal((long)TimeSpan.FromMinutes(30).TotalMilliseconds, ttl);
            Near(TimeSpan.FromMinutes(120), (await LoginAsync(userId, "kubeconfig")).Left);
            JsonObject generated = await ApiServerFixture.ReadObjectAsync(await user.PostAsync("/v3/clusters?action=generateKubeconfig", null));
            string config = (string)generated["config"]!;
            Near(TimeSpan.FromMinutes(120), await LeftAsync(config[(config.IndexOf("token: \"", StringComparison.Ordinal) + 8)..].Split('"')[0]));

            // The maximum caps what a caller asks, and every default.
            await SetAsync(TokenLifetimes.MaximumSetting, "20");
            Near(TimeSpan.FromMinutes(20), (await LoginAsync(userId, ttl: (long)TimeSpan.FromHours(5).TotalMilliseconds)).Left);
            Near(TimeSpan.FromMinutes(10), (await LoginAsync(userId, ttl: (long)TimeSpan.FromMinutes(10).TotalMilliseconds)).Left);
            Near(TimeSpan.FromMinutes(20), (await LoginAsync(userId)).Left);
            Near(TimeSpan.FromMinutes(20), (await LoginAsync(userId, "kubeconfig")).Left);
            JsonObject key = await ApiServerFixture.ReadObjectAsync(await user.PostAsync("/v3/tokens", ApiServerFixture.Json(new JsonObject { ["ttl"] = (long)TimeSpan.FromDays(1).TotalMilliseconds })));
            Near(TimeSpan.FromMinutes(20), await LeftAsync((string)key["token"]!));

            // 0: no maximum, and a kubeconfig token that never expires.
            await SetAsync(TokenLifetimes.MaximumSetting, "0");
            await SetAsync(TokenLifetimes.KubeconfigSetting, "0");
            Assert.Equal(TimeSpan.MaxValue, (await LoginAsync(userId, "kubeconfig")).Left);
            Near(TimeSpan.FromDays(400), (await LoginAsync(userId, ttl: (long)TimeSpan.FromDays(400).TotalMilliseconds)).Left);
            // Without a maximum, a ttl past what a lifetime can hold is held to a hundred years, not an overflow.
            TimeSpan century = TimeSpan.FromMinutes(TokenPolicy.MaximumMinutes);
            Near(century, (await LoginAsync(userId, ttl: long.MaxValue)).Left);
            JsonObject huge = await ApiServerFixture.ReadObjectAsync(await user.PostAsync("/v3/tokens", ApiServerFixture.Json(new JsonObject { ["ttl"] = long.MaxValue })));
            Near(century, await LeftAsync((string)huge["token"]!));

            // Empty is the default again.
            await SetAsync(TokenLifetimes.SessionSetting, "");
            await SetAsync(TokenLifetimes.KubeconfigSetting, "");
            await SetAsync(TokenLifetimes.MaximumSetting, "");
            Near(TimeSpan.FromHours(16), (await LoginAsync(userId)).Left);
            Near(TimeSpan.FromDays(30), (await LoginAsync(userId, "kubeconfig")).Left);
        }
        finally
        {
            await SetAsync(TokenLifetimes.SessionSetting, "");
            await SetAsync(TokenLifetimes.KubeconfigSetting, "");
            await SetAsync(TokenLifetimes.MaximumSetting, "");
        }
    }

    [Theory]
    [InlineData(TokenLifetimes.SessionSetting, "0")]
    [InlineData(TokenLifetimes.SessionSetting, "16h")]
    [InlineData(TokenLifetimes.KubeconfigSetting, "-5")]
    [InlineData(TokenLifetimes.MaximumSetting, "1.5")]
    [InlineData(TokenLifetimes.MaximumSetting, "99999999999")]
    public async Task AValueThatIsNotWholeMinutes_IsRefusedWithTheReason(string name, string value)
    {
        var setting = new JsonObject { ["apiVersion"] = "management.appliance.io/v1", ["kind"] = "Setting", ["metadata"] = new JsonObject { ["name"] = name }, ["value"] = value };
        using HttpResponseMessage response = await server.Client.PostAsync("/apis/management.appliance.io/v1/settings", ApiServerFixture.Json(setting));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        JsonObject status = await ApiServerFixture.ReadObjectAsync(response);
        Assert.Contains("whole number of minutes", (string?)status["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/apis/management.appliance.io/v1/settings/" + name)).StatusCode);
    }
}
