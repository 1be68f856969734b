using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Proxy.Tests.Integration;

/// <summary>A response as a client read it; the body is de-chunked when it was chunked.</summary>
internal sealed record ClientResponse(int Status, string Head, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name)
    {
        foreach ((string n, string v) in Headers)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        return null;
    }
}

/// <summary>
/// A byte-exact HTTP/1.1 client over TLS to the proxy host: sends exactly what a test wrote (malformed
/// included) and reads responses one by one. Every read is bounded.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly Socket _socket;
    private readonly SslStream _ssl;
    private readonly BufferedReader _reader;

    private RawClient(Socket socket, SslStream ssl)
    {
        _socket = socket;
        _ssl = ssl;
        _reader = new BufferedReader(ssl);
    }

    public SslApplicationProtocol NegotiatedProtocol => _ssl.NegotiatedApplicationProtocol;

    public static async Task<RawClient> ConnectAsync(int port, params SslApplicationProtocol[] protocols)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = protocols.Length == 0 ? [SslApplicationProtocol.Http11] : [.. protocols],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }, timeout.Token);
        return new RawClient(socket, ssl);
    }

    public static string Get(string path, string? token = TestAuthenticator.AliceToken, string extraHeaders = "") =>
        $"GET {path} HTTP/1.1\r\nHost: proxy.test\r\n" + (token is null ? "" : $"Authorization: Bearer {token}\r\n") + extraHeaders + "\r\n";

    public async Task SendAsync(string latin1)
    {
        await _ssl.WriteAsync(Encoding.Latin1.GetBytes(latin1));
        await _ssl.FlushAsync();
    }

    public async Task SendAsync(byte[] bytes)
    {
        await _ssl.WriteAsync(bytes);
        await _ssl.FlushAsync();
    }

    /// <summary>TLS close_notify and FIN: the client's half-close.</summary>
    public async Task ShutdownWriteAsync()
    {
        await _ssl.ShutdownAsync();
        _socket.Shutdown(SocketShutdown.Send);
    }

    public async Task<ClientResponse> ReadResponseAsync(bool headRequest = false, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        string statusLine = await _reader.ReadLineAsync(cancel.Token) ?? throw new EndOfStreamException("connection closed before a response");
        var head = new StringBuilder(statusLine).Append("\r\n");
        var headers = new List<(string, string)>();
        while (true)
        {
            string line = await _reader.ReadLineAsync(cancel.Token) ?? throw new EndOfStreamException("truncated head");
            head.Append(line).Append("\r\n");
            if (line.Length == 0)
            {
                break;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add((line[..colon], line[(colon + 1)..].Trim()));
        }

        int status = int.Parse(statusLine.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var response = new ClientResponse(status, head.ToString(), headers, []);
        if (headRequest || status < 200 || status == 204 || status == 304)
        {
            return response;
        }

        if (string.Equals(response.Header("Transfer-Encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new MemoryStream();
            while (true)
            {
                string size = await _reader.ReadLineAsync(cancel.Token) ?? throw new EndOfStreamException("truncated chunked body");
                int length = Convert.ToInt32(size, 16);
                if (length == 0)
                {
                    await _reader.ReadLineAsync(cancel.Token);
                    break;
                }

                body.Write(await _reader.ReadExactlyAsync(length, cancel.Token));
                await _reader.ReadLineAsync(cancel.Token);
            }

            return response with { Body = body.ToArray() };
        }

        if (response.Header("Content-Length") is { } contentLength)
        {
            return response with { Body = await _reader.ReadExactlyAsync(int.Parse(contentLength, System.Globalization.CultureInfo.InvariantCulture), cancel.Token) };
        }

        return response with { Body = await ReadToEndAsync(cancel.Token) };
    }

    /// <summary>The next line of a streamed body (a chunk-size line, a chunk, a watch event).</summary>
    public async Task<string?> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _reader.ReadLineAsync(cancel.Token);
    }

    public async Task<byte[]> ReadExactlyAsync(int count, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _reader.ReadExactlyAsync(count, cancel.Token);
    }

    /// <summary>True when the proxy closes the connection within the timeout (after any bytes still in flight).</summary>
    public async Task<bool> IsClosedAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await ReadToEndAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // A reset is a close too.
        }
    }

    public async Task<byte[]> ReadToEndAsync(CancellationToken cancellationToken)
    {
        var all = new MemoryStream();
        while (true)
        {
            byte[] some;
            try
            {
                some = await _reader.ReadSomeAsync(cancellationToken);
            }
            catch (IOException)
            {
                return all.ToArray();
            }

            if (some.Length == 0)
            {
                return all.ToArray();
            }

            all.Write(some);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _ssl.DisposeAsync();
        _socket.Dispose();
    }
}
