using System.Net;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api.Tests;

/// <summary>
/// The periodic refresh of directory users (<c>auth-user-info-resync-interval</c>): group changes arrive without
/// a sign-in, a user gone from the directory is disabled and its tokens stop working, an outage changes nothing.
/// </summary>
[Collection(DirectoryApiCollection.Name)]
public sealed class DirectoryRefreshTests(DirectoryApiFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private SlapdFixture Slapd => fixture.Slapd;

    private Task SetIntervalAsync(string value) => fixture.PutAsync("/apis/management.appliance.io/v1/settings/" + DirectoryUserRefresher.IntervalSetting, new JsonObject
    {
        ["apiVersion"] = "management.appliance.io/v1",
        ["kind"] = "Setting",
        ["metadata"] = new JsonObject { ["name"] = DirectoryUserRefresher.IntervalSetting },
        ["value"] = value,
    });

    private async Task<JsonObject> WaitForUserAsync(string userId, Func<JsonObject, bool> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            JsonObject user = await fixture.GetUserAsync(userId);
            if (condition(user))
            {
                return user;
            }

            Assert.True(DateTime.UtcNow < deadline, "the refresh did not get there in time: " + user.ToJsonString());
            await Task.Delay(100);
        }
    }

    private async Task<(string UserId, string Token, string Dn)> NewDirectoryUserAsync(string prefix, params string[] groups)
    {
        string uid = prefix + "-" + Guid.NewGuid().ToString("N")[..6];
        string dn = Slapd.AddPerson(uid, "Refreshed Person", "refresh-password-1");
        foreach (string group in groups)
        {
            Slapd.AddGroup(group + "-" + uid, dn, SlapdFixture.PersonDn("bob"));
        }

        (HttpStatusCode status, JsonObject token) = await fixture.LoginAsync("openldap", uid, "refresh-password-1");
        Assert.Equal(HttpStatusCode.Created, status);
        return ((string)token["userId"]!, (string)token["token"]!, dn);
    }

    [Fact]
    public async Task Refresh_FollowsGroupChanges_AndDisablesAUserGoneFromTheDirectory_RevokingItsTokens()
    {
        await fixture.ConfigureOpenLdapAsync();
        (string userId, string token, string dn) = await NewDirectoryUserAsync("refresh", "before");
        string uid = dn[4..dn.IndexOf(',', StringComparison.Ordinal)];
        Slapd.AddGroup("after-" + uid, SlapdFixture.PersonDn("bob"));
        try
        {
            await SetIntervalAsync("1s");

            Slapd.RemoveMember("before-" + uid, dn);
            Slapd.AddMember("after-" + uid, dn);
            string after = fixture.GroupPrincipal("after-" + uid);
            await WaitForUserAsync(userId, user => DirectoryApiFixture.Strings(user["groupPrincipalIds"]).SequenceEqual([after]));
            using HttpClient client = fixture.Api.CreateClient(token);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api")).StatusCode);

            Slapd.Delete(dn);
            JsonObject gone = await WaitForUserAsync(userId, user => user["enabled"]?.GetValue<bool>() == false);
            Assert.Empty(DirectoryApiFixture.Strings(gone["groupPrincipalIds"]));
            Assert.Contains("no longer in the directory", (string?)gone["metadata"]!["annotations"]![UserAccounts.DisabledByDirectoryAnnotation], StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api")).StatusCode);
        }
        finally
        {
            await SetIntervalAsync("1h");
        }
    }

    [Fact]
    public async Task Refresh_DisablesAUserTheAccessModeNoLongerAdmits_AndEnablesItAgainWhenItIsAdmitted()
    {
        await fixture.ConfigureOpenLdapAsync();
        (string userId, _, string dn) = await NewDirectoryUserAsync("admitted", "allowed");
        string uid = dn[4..dn.IndexOf(',', StringComparison.Ordinal)];
        string allowed = fixture.GroupPrincipal("allowed-" + uid);
        await fixture.ConfigureOpenLdapAsync(config =>
        {
            config["accessMode"] = "required";
            config["allowedPrincipalIds"] = new JsonArray(allowed, fixture.UserPrincipal("bob"));
        });
        try
        {
            await SetIntervalAsync("1s");
            Slapd.RemoveMember("allowed-" + uid, dn);
            JsonObject refused = await WaitForUserAsync(userId, user => user["enabled"]?.GetValue<bool>() == false);
            Assert.Contains("access mode is required", (string?)refused["metadata"]!["annotations"]![UserAccounts.DisabledByDirectoryAnnotation], StringComparison.Ordinal);

            Slapd.AddMember("allowed-" + uid, dn);
            JsonObject back = await WaitForUserAsync(userId, user => user["enabled"]?.GetValue<bool>() == true);
            Assert.Null(back["metadata"]!["annotations"]![UserAccounts.DisabledByDirectoryAnnotation]);
            Assert.Equal([allowed], DirectoryApiFixture.Strings(back["groupPrincipalIds"]));
        }
        finally
        {
            await SetIntervalAsync("1h");
            await fixture.ConfigureOpenLdapAsync();
        }
    }

    [Fact]
    public async Task Refresh_WhileTheDirectoryIsUnreachable_ChangesNothing()
    {
        await fixture.ConfigureOpenLdapAsync();
        (string userId, _, _) = await NewDirectoryUserAsync("outage", "kept");
        JsonObject before = await fixture.GetUserAsync(userId);
        DirectoryUserRefresher refresher = fixture.Api.Services.GetRequiredService<DirectoryUserRefresher>();
        int closed = SlapdFixture.FreePort();
        await fixture.ConfigureOpenLdapAsync(config => config["port"] = closed);
        try
        {
            await refresher.RefreshAsync(CancellationToken.None);

            JsonObject after = await fixture.GetUserAsync(userId);
            Assert.Equal(before["metadata"]!["resourceVersion"]!.ToString(), after["metadata"]!["resourceVersion"]!.ToString());
            Assert.True((bool)after["enabled"]!);
            Assert.Contains(fixture.Api.LogText.Split('\n'), line => line.StartsWith("Warning 1325 ", StringComparison.Ordinal));
        }
        finally
        {
            await fixture.ConfigureOpenLdapAsync();
        }
    }

    [Theory]
    [InlineData("1h", 3600_000)]
    [InlineData("1h30m", 5400_000)]
    [InlineData("90s", 90_000)]
    [InlineData("1.5h", 5400_000)]
    [InlineData("500ms", 500)]
    [InlineData("0", 0)]
    public void ResyncInterval_TakesGoDurations(string text, long milliseconds)
    {
        Assert.True(DirectoryUserRefresher.TryParseDuration(text, out TimeSpan duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1d")]
    [InlineData("h")]
    [InlineData("-1s")]
    [InlineData("1 h")]
    [InlineData("60")]
    public void ResyncInterval_RefusesWhatIsNotAGoDuration(string text)
        => Assert.False(DirectoryUserRefresher.TryParseDuration(text, out _));
}
