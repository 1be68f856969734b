using System.Net;
using Appliance.Server;

namespace Appliance.Tests;

public class ListenAddressTests
{
    [Theory]
    [InlineData(":8443", null, false, 8443)]
    [InlineData("0.0.0.0:443", "0.0.0.0", false, 443)]
    [InlineData("127.0.0.1:0", "127.0.0.1", false, 0)]
    [InlineData("[::1]:9443", "::1", false, 9443)]
    [InlineData("[::]:8443", "::", false, 8443)]
    [InlineData("localhost:8443", null, true, 8443)]
    [InlineData(":65535", null, false, 65535)]
    public void TryParse_AcceptsEveryDocumentedForm(string value, string? address, bool localhost, int port)
    {
        Assert.True(ListenAddress.TryParse(value, out ListenAddress parsed, out string error), error);
        Assert.Equal(address is null ? null : IPAddress.Parse(address), parsed.Address);
        Assert.Equal(localhost, parsed.IsLocalhost);
        Assert.Equal(port, parsed.Port);
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(":+80")]
    [InlineData(": 80")]
    [InlineData("1.2.3.4:99999")]
    [InlineData("[::1:80")]
    [InlineData("::1:80")]
    [InlineData("[127.0.0.1]:80")]
    [InlineData("host.example:80")]
    public void TryParse_RejectsWithAReason(string value)
    {
        Assert.False(ListenAddress.TryParse(value, out _, out string error));
        Assert.NotEmpty(error);
    }
}
