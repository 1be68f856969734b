using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

public sealed class LabelSelectorTests
{
    [Theory]
    [InlineData("env in (prod, staging),tier", true)]
    [InlineData("env notin (prod)", false)]
    [InlineData("env!=dev", true)]
    [InlineData("missing!=x", true)]
    [InlineData("missing notin (x)", true)]
    [InlineData("missing in (x)", false)]
    [InlineData("example.com/owner=team-a", true)]
    [InlineData("", true)]
    public void Matches_FollowsKubernetesSemantics(string selector, bool expected)
    {
        Assert.True(LabelSelector.TryParse(selector, out LabelSelector parsed, out string? error), error);
        var obj = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["env"] = "prod", ["tier"] = "web", ["example.com/owner"] = "team-a" } } };
        Assert.Equal(expected, parsed.Matches(obj));
    }

    [Theory]
    [InlineData("env in prod")]
    [InlineData("env in (prod")]
    [InlineData("=value")]
    [InlineData("env=bad value")]
    [InlineData("env,,tier")]
    [InlineData("Bad_Prefix/key=x")]
    public void TryParse_RejectsMalformedSelectors(string selector)
    {
        Assert.False(LabelSelector.TryParse(selector, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
