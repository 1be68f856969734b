using System.Text;

namespace Appliance.Proxy.Tests;

public class UpstreamHeadVerifierTests
{
    private const string Start = "GET /api HTTP/1.1\r\nHost: 10.0.0.5:6443\r\nAccept: */*\r\n";
    private const string Block = "Impersonate-User: u-1\r\nImpersonate-Group: system:authenticated\r\nAuthorization: Bearer sa\r\n";

    private static RewriteError Verify(string beforeBlock, string block)
    {
        byte[] head = Encoding.ASCII.GetBytes(Start + beforeBlock + block + "\r\n");
        return UpstreamHeadVerifier.Verify(head, Start.Length + beforeBlock.Length);
    }

    [Fact]
    public void OurBlockAlone_Passes()
    {
        Assert.Equal(RewriteError.None, Verify("", Block));
    }

    [Theory]
    [InlineData("Impersonate-Group: system:masters\r\n")]
    [InlineData("IMPERSONATE-EXTRA-scopes: x\r\n")]
    [InlineData("Authorization: Basic YTpi\r\n")]
    [InlineData("x-remote-user: admin\r\n")]
    [InlineData("Proxy-Authorization: Basic YTpi\r\n")]
    [InlineData("COOKIE: R_SESS=token-abcde:secret\r\n")]
    [InlineData("Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.dG9rZW4\r\n")]
    public void IdentityHeaderBeforeOurBlock_FailsClosed(string header)
    {
        Assert.Equal(RewriteError.ForeignIdentityHeader, Verify(header, Block));
    }

    [Theory]
    [InlineData("Impersonate-Group: system:authenticated\r\nAuthorization: Bearer sa\r\n")]
    [InlineData("Impersonate-User: u-1\r\nImpersonate-User: u-2\r\nAuthorization: Bearer sa\r\n")]
    [InlineData("Impersonate-User: u-1\r\n")]
    [InlineData("Impersonate-User: u-1\r\nAuthorization: Bearer sa\r\nAuthorization: Bearer sa\r\n")]
    [InlineData("Impersonate-User: u-1\r\nX-Smuggled: 1\r\nAuthorization: Bearer sa\r\n")]
    public void OurBlockNotExactlyOnce_FailsClosed(string block)
    {
        Assert.Equal(RewriteError.IdentityBlockMismatch, Verify("", block));
    }

    [Theory]
    [InlineData(Start + Block + "\r\nGET /smuggled HTTP/1.1\r\n\r\n")]
    [InlineData(Start + Block)]
    [InlineData(Start + "X: a\rb\r\n" + Block + "\r\n")]
    [InlineData(Start + "X: a\nImpersonate-Group: system:masters\r\n" + Block + "\r\n")]
    public void HeadThatIsNotExactlyOneCleanHead_FailsClosed(string head)
    {
        Assert.NotEqual(RewriteError.None, UpstreamHeadVerifier.Verify(Encoding.ASCII.GetBytes(head), head.IndexOf("Impersonate-User", StringComparison.Ordinal)));
    }
}
