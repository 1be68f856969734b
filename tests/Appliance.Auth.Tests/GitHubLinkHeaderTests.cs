using Appliance.Auth.GitHub;

namespace Appliance.Auth.Tests;

public sealed class GitHubLinkHeaderTests
{
    private static readonly Uri Request = new("https://api.github.com/user/teams?per_page=100&page=2");

    [Fact]
    public void GitHubsHeader_GivesNext()
    {
        const string Header = "<https://api.github.com/user/teams?per_page=100&page=1>; rel=\"prev\", "
                              + "<https://api.github.com/user/teams?per_page=100&page=3>; rel=\"next\", "
                              + "<https://api.github.com/user/teams?per_page=100&page=5>; rel=\"last\", "
                              + "<https://api.github.com/user/teams?per_page=100&page=1>; rel=\"first\"";

        Assert.Equal(new Uri("https://api.github.com/user/teams?per_page=100&page=3"), GitHubLinkHeader.FindRelation([Header], "next", Request));
        Assert.Equal(new Uri("https://api.github.com/user/teams?per_page=100&page=5"), GitHubLinkHeader.FindRelation([Header], "last", Request));
    }

    [Fact]
    public void LastPage_HasNoNext()
        => Assert.Null(GitHubLinkHeader.FindRelation(["<https://api.github.com/user/teams?page=1>; rel=\"prev\", <https://api.github.com/user/teams?page=1>; rel=\"first\""], "next", Request));

    [Fact]
    public void NoHeader_HasNoNext() => Assert.Null(GitHubLinkHeader.FindRelation([], "next", Request));

    [Theory]
    [InlineData("<https://api.github.com/x?page=3>;rel=next")]
    [InlineData("  <https://api.github.com/x?page=3> ;  REL = \"NEXT\" ")]
    [InlineData("<https://api.github.com/x?page=3>; rel=\"last next\"")]
    [InlineData("<https://api.github.com/x?page=9>; title=\"a, b; rel=next\"; rel=prev, <https://api.github.com/x?page=3>; rel=next")]
    public void Rfc8288Variants_AreRead(string header)
        => Assert.Equal(new Uri("https://api.github.com/x?page=3"), GitHubLinkHeader.FindRelation([header], "next", Request));

    [Fact]
    public void SeveralHeaderFields_AreAllRead()
        => Assert.Equal(new Uri("https://api.github.com/x?page=3"),
            GitHubLinkHeader.FindRelation(["<https://api.github.com/x?page=1>; rel=prev", "<https://api.github.com/x?page=3>; rel=next"], "next", Request));

    [Fact]
    public void RelativeTarget_ResolvesAgainstTheRequest()
        => Assert.Equal(new Uri("https://api.github.com/user/teams?page=3"), GitHubLinkHeader.FindRelation(["</user/teams?page=3>; rel=next"], "next", Request));

    [Theory]
    [InlineData("https://api.github.com/x?page=3; rel=next")]
    [InlineData("<https://api.github.com/x?page=3; rel=next")]
    [InlineData("<https://api.github.com/x?page=3>; rel=nextpage")]
    public void Malformed_HasNoNext(string header) => Assert.Null(GitHubLinkHeader.FindRelation([header], "next", Request));
}
