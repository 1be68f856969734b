using System.Buffers;
using System.Text;

namespace Appliance.Proxy.Tests;

/// <summary>Parses, routes and rewrites one request the way the connection loop will.</summary>
internal static class Rewrite
{
    public const string Authority = "10.0.0.5:6443";
    public const string ServiceAccountToken = "eyJhbGciOiJSUzI1NiJ9.sa-token.c2ln";

    public static readonly ImpersonationHeaders Identity = CreateIdentity();
    public static readonly UpstreamHeaders Upstream = CreateUpstream();

    public static (RewriteError Error, string Head, int WrittenCount) Run(string request, bool removeClientHeaders = true)
    {
        var head = new RequestHead();
        Assert.True(RequestHeadParser.TryParse(Segments.Single(Segments.Bytes(request)), head, out _, out RequestHeadError parseError), parseError.ToString());
        Assert.Equal(RouteError.None, ClusterRoute.TryParse(head.Target, out ClusterRoute route));
        var output = new ArrayBufferWriter<byte>();

        RewriteError error = RequestHeadRewriter.TryWrite(head, route, Identity, Upstream, output, removeClientHeaders, out int written);

        Assert.Equal(output.WrittenCount, written);
        return (error, Encoding.Latin1.GetString(output.WrittenSpan), output.WrittenCount);
    }

    /// <summary>The written head's field lines as (name, value), after checking it is a valid head itself.</summary>
    public static List<(string Name, string Value)> Fields(string head)
    {
        ParsedHead reparsed = ParsedHead.Parse(head);
        Assert.True(reparsed.Complete, reparsed.Error.ToString());
        Assert.Equal(head.Length, reparsed.Consumed);

        var fields = new List<(string, string)>();
        string[] lines = head.Split("\r\n");
        for (int i = 1; i < lines.Length - 2; i++)
        {
            int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            fields.Add((lines[i][..colon], lines[i][(colon + 1)..].Trim()));
        }

        return fields;
    }

    public static List<string> Values(List<(string Name, string Value)> fields, string name)
    {
        var values = new List<string>();
        foreach ((string fieldName, string value) in fields)
        {
            if (string.Equals(fieldName, name, StringComparison.OrdinalIgnoreCase))
            {
                values.Add(value);
            }
        }

        return values;
    }

    private static ImpersonationHeaders CreateIdentity()
    {
        Assert.True(ImpersonationHeaders.TryCreate(
            "u-abc12",
            ["local://g-devs"],
            [new("principalid", "local://u-abc12"), new("username", "alice"), new("requesttokenid", "token-abcde")],
            out ImpersonationHeaders? identity));
        return identity;
    }

    private static UpstreamHeaders CreateUpstream()
    {
        Assert.True(UpstreamHeaders.TryCreate(Authority, ServiceAccountToken, out UpstreamHeaders? upstream));
        return upstream;
    }
}
