using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>
/// A token remembers the provider its user signed in through; while that provider is disabled, the token, and the
/// API keys and kubeconfig tokens made with it, do not authenticate (as Rancher refuses them), at once and without
/// waiting for a refresh. Local tokens never depend on a provider.
/// </summary>
[Collection(DirectoryApiCollection.Name)]
public sealed class DisabledProviderTokenTests(DirectoryApiFixture fixture)
{
    private async Task<HttpStatusCode> ApiStatusAsync(string token)
    {
        using HttpClient client = fixture.Api.CreateClient(token);
        using HttpResponseMessage response = await client.GetAsync("/api");
        return response.StatusCode;
    }

    [Fact]
    public async Task DisablingOpenLdap_StopsItsTokensAndTheirDerivedTokens_AtOnce_AndEnablingItAgainRestoresThem()
    {
        await fixture.ConfigureOpenLdapAsync();
        (HttpStatusCode status, JsonObject login) = await fixture.LoginAsync("openldap", "alice", SlapdFixture.Passwords["alice"]);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("openldap", (string?)login["authProvider"]);
        string session = (string)login["token"]!;
        using HttpClient alice = fixture.Api.CreateClient(session);
        JsonObject key = await ApiServerFixture.ReadObjectAsync(await alice.PostAsync("/v3/tokens", ApiServerFixture.Json(new JsonObject { ["description"] = "alice's key" })));
        Assert.Equal("openldap", (string?)key["authProvider"]);
        string apiKey = (string)key["token"]!;
        string local = await fixture.Api.IssueTokenAsync("u-" + Guid.NewGuid().ToString("N")[..8]);
        // A token that does not name its provider (as before tokens did) is the provider's of a user only it knows.
        string unnamed = (await fixture.Api.Services.GetRequiredService<TokenIssuer>().IssueAsync((string)login["userId"]!, "apikey", "no provider named", lifetime: null)).ToString();
        Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(unnamed));
        Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(session));
        Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(apiKey));

        try
        {
            await fixture.ConfigureOpenLdapAsync(config => config["enabled"] = false);
            Assert.Equal(HttpStatusCode.Unauthorized, await ApiStatusAsync(session));
            Assert.Equal(HttpStatusCode.Unauthorized, await ApiStatusAsync(apiKey));
            Assert.Equal(HttpStatusCode.Unauthorized, await ApiStatusAsync(unnamed));
            Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(local));
        }
        finally
        {
            await fixture.ConfigureOpenLdapAsync();
        }

        Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(session));
        Assert.Equal(HttpStatusCode.OK, await ApiStatusAsync(apiKey));

        // A provider whose AuthConfig is gone is not enabled either.
        using (HttpResponseMessage deleted = await fixture.Api.Client.DeleteAsync("/apis/management.appliance.io/v1/authconfigs/openldap"))
        {
            Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
        }

        try
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await ApiStatusAsync(session));
        }
        finally
        {
            await fixture.ConfigureOpenLdapAsync();
        }
    }
}
