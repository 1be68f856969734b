using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Appliance.Proxy.Tests.Integration;

/// <summary>One request as the upstream read it.</summary>
internal sealed record RecordedRequest(int Connection, string Method, string Target, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body, string RawHead)
{
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

    public List<string> HeaderValues(string name)
    {
        var values = new List<string>();
        foreach ((string n, string v) in Headers)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                values.Add(v);
            }
        }

        return values;
    }
}

/// <summary>What a handler gets: the request, the connection to answer on, and its unread bytes.</summary>
internal sealed class UpstreamExchange(RecordedRequest request, Stream stream, BufferedReader reader, Socket socket)
{
    public RecordedRequest Request { get; } = request;

    public Stream Stream { get; } = stream;

    public BufferedReader Reader { get; } = reader;

    public Socket Socket { get; } = socket;

    /// <summary>Set by a handler that closed or took over the connection.</summary>
    public bool Done { get; set; }

    public Task WriteAsync(string latin1) => Stream.WriteAsync(Encoding.Latin1.GetBytes(latin1)).AsTask();
}

/// <summary>
/// A raw HTTP/1.1 upstream on 127.0.0.1 (optionally TLS) that records every request it parses and every
/// byte it receives, so a test can prove what did (and did not) reach a cluster. Its own parser is simple
/// and literal: Content-Length or chunked, one request after the other.
/// </summary>
internal sealed class TestUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _accepting;
    private int _connections;

    public TestUpstream(Func<UpstreamExchange, Task> handler, X509Certificate2? certificate = null)
    {
        Handler = handler;
        _certificate = certificate;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Func<UpstreamExchange, Task> Handler { get; set; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int ConnectionCount => Volatile.Read(ref _connections);

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Every byte received, all connections, in arrival order per connection.</summary>
    public ConcurrentDictionary<int, MemoryStream> Received { get; } = new();

    /// <summary>Connections whose client side has closed (read returned 0 or failed).</summary>
    public ConcurrentBag<int> ClosedByPeer { get; } = [];

    public CancellationToken Stopping => _stop.Token;

    public static Task DefaultHandler(UpstreamExchange exchange)
    {
        string body = $"{{\"kind\":\"Test\",\"method\":\"{exchange.Request.Method}\",\"target\":\"{exchange.Request.Target}\",\"bodyLength\":{exchange.Request.Body.Length}}}";
        return exchange.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");
    }

    public List<RecordedRequest> RequestsMatching(string targetPart)
    {
        var matching = new List<RecordedRequest>();
        foreach (RecordedRequest request in Requests)
        {
            if (request.Target.Contains(targetPart, StringComparison.Ordinal))
            {
                matching.Add(request);
            }
        }

        return matching;
    }

    public string ReceivedText()
    {
        var text = new StringBuilder();
        foreach (KeyValuePair<int, MemoryStream> pair in Received)
        {
            lock (pair.Value)
            {
                text.Append(Encoding.Latin1.GetString(pair.Value.ToArray()));
            }
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }

        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _sockets.Add(socket);
            int connection = Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(socket, connection));
        }
    }

    private async Task ServeAsync(Socket socket, int connection)
    {
        var received = new MemoryStream();
        Received[connection] = received;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, _stop.Token).ConfigureAwait(false);
                stream = ssl;
            }

            var reader = new BufferedReader(stream, received);
            while (!_stop.IsCancellationRequested)
            {
                RecordedRequest? request = await ReadRequestAsync(reader, connection).ConfigureAwait(false);
                if (request is null)
                {
                    ClosedByPeer.Add(connection);
                    return;
                }

                Requests.Enqueue(request);
                var exchange = new UpstreamExchange(request, stream, reader, socket);
                await Handler(exchange).ConfigureAwait(false);
                await stream.FlushAsync().ConfigureAwait(false);
                if (exchange.Done)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidDataException or System.Security.Authentication.AuthenticationException)
        {
            ClosedByPeer.Add(connection);
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<RecordedRequest?> ReadRequestAsync(BufferedReader reader, int connection)
    {
        string? requestLine = await reader.ReadLineAsync().ConfigureAwait(false);
        if (requestLine is null)
        {
            return null;
        }

        var raw = new StringBuilder(requestLine).Append("\r\n");
        var headers = new List<(string, string)>();
        while (true)
        {
            string? line = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw new InvalidDataException("truncated head");
            raw.Append(line).Append("\r\n");
            if (line.Length == 0)
            {
                break;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add((line[..colon], line[(colon + 1)..].Trim()));
        }

        string[] parts = requestLine.Split(' ');
        var request = new RecordedRequest(connection, parts[0], parts[1], headers, [], raw.ToString());
        byte[] body = [];
        if (request.Target.StartsWith("/early-", StringComparison.Ordinal))
        {
            // Answered from the head alone, as an API server refusing a create before it reads the body.
        }
        else if (string.Equals(request.Header("Transfer-Encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            var data = new MemoryStream();
            while (true)
            {
                string sizeLine = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw new InvalidDataException("truncated chunk");
                int size = Convert.ToInt32(sizeLine.Split(';')[0], 16);
                if (size == 0)
                {
                    while (!string.IsNullOrEmpty(await reader.ReadLineAsync().ConfigureAwait(false)))
                    {
                    }

                    break;
                }

                data.Write(await reader.ReadExactlyAsync(size).ConfigureAwait(false));
                if (await reader.ReadLineAsync().ConfigureAwait(false) != "")
                {
                    throw new InvalidDataException("chunk without CRLF");
                }
            }

            body = data.ToArray();
        }
        else if (request.Header("Content-Length") is { } length)
        {
            body = await reader.ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        }

        return request with { Body = body };
    }
}

/// <summary>Line and exact-length reads over a stream, recording what it reads.</summary>
internal sealed class BufferedReader(Stream stream, MemoryStream? record = null)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    public int Buffered => _end - _start;

    /// <summary>A CRLF-terminated line without the CRLF, or null at a clean end of stream.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken = default)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return line.Count == 0 ? null : throw new InvalidDataException("end of stream inside a line");
            }

            byte b = _buffer[_start++];
            if (b == '\n' && line.Count > 0 && line[^1] == '\r')
            {
                line.RemoveAt(line.Count - 1);
                return Encoding.Latin1.GetString([.. line]);
            }

            line.Add(b);
        }
    }

    public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken = default)
    {
        byte[] result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidDataException($"end of stream after {filled} of {count} bytes");
            }

            int take = Math.Min(count - filled, _end - _start);
            Array.Copy(_buffer, _start, result, filled, take);
            _start += take;
            filled += take;
        }

        return result;
    }

    /// <summary>Whatever is available (buffered first), or an empty array at the end of the stream.</summary>
    public async Task<byte[]> ReadSomeAsync(CancellationToken cancellationToken = default)
    {
        if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        byte[] result = _buffer[_start.._end];
        _start = _end;
        return result;
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        if (_end > 0 && record is not null)
        {
            lock (record)
            {
                record.Write(_buffer, 0, _end);
            }
        }

        return _end > 0;
    }
}
