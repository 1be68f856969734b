using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Appliance.Server;

/// <summary>
/// Where the server listens, from `--listen`: <c>:8443</c> (every interface), <c>127.0.0.1:8443</c>,
/// <c>[::1]:8443</c>, <c>localhost:8443</c>; port 0 asks the kernel for a free port.
/// </summary>
public sealed record ListenAddress(IPAddress? Address, bool IsLocalhost, int Port)
{
    public const int DefaultPort = 8443;

    public static ListenAddress Default { get; } = new(null, false, DefaultPort);

    public static bool TryParse(string value, out ListenAddress address, out string error)
    {
        address = Default;
        int colon = value.LastIndexOf(':');
        if (colon < 0 || (value.Contains(']', StringComparison.Ordinal) && colon < value.IndexOf(']', StringComparison.Ordinal)))
        {
            error = $"'{value}' is not HOST:PORT or :PORT.";
            return false;
        }

        string host = value[..colon];
        string portText = value[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            error = $"port '{portText}' in '{value}' is not a number from 0 to {IPEndPoint.MaxPort}.";
            return false;
        }

        if (host.Length == 0)
        {
            address = new ListenAddress(null, false, port);
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            if (port == 0)
            {
                // Kestrel binds localhost on both 127.0.0.1 and ::1, which cannot share one kernel-chosen port.
                error = "localhost needs a fixed port; use 127.0.0.1:0 for a free one.";
                return false;
            }

            address = new ListenAddress(null, true, port);
        }
        else if (IsIPAddress(host, out IPAddress? ip))
        {
            address = new ListenAddress(ip, false, port);
        }
        else
        {
            error = $"host '{host}' in '{value}' is not an IP address (IPv6 in brackets) or localhost.";
            return false;
        }

        error = "";
        return true;
    }

    /// <summary>An IPv4 address, or an IPv6 address in brackets (RFC 3986 section 3.2.2), as the port follows it.</summary>
    private static bool IsIPAddress(string host, [NotNullWhen(true)] out IPAddress? address)
    {
        bool bracketed = host.Length > 2 && host[0] == '[' && host[^1] == ']';
        return IPAddress.TryParse(bracketed ? host[1..^1] : host, out address)
            && bracketed == (address.AddressFamily == AddressFamily.InterNetworkV6);
    }

    public void Listen(KestrelServerOptions kestrel, Action<ListenOptions> configure)
    {
        if (IsLocalhost)
        {
            kestrel.ListenLocalhost(Port, configure);
        }
        else if (Address is null)
        {
            kestrel.ListenAnyIP(Port, configure);
        }
        else
        {
            kestrel.Listen(Address, Port, configure);
        }
    }

    /// <summary>As written on the command line; `--help` shows the default this way.</summary>
    public override string ToString() =>
        IsLocalhost ? $"localhost:{Port}"
        : Address is null ? $":{Port}"
        : new IPEndPoint(Address, Port).ToString();
}
