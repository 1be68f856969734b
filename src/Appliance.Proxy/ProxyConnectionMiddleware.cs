using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Appliance.Proxy;

/// <summary>
/// Kestrel connection middleware on the main HTTPS port, after <c>UseHttps</c>: a connection whose first
/// request targets <c>/k8s/clusters/</c> is served by the proxy for its whole life; any other connection is
/// handed to Kestrel's HTTP stack untouched, so the API shares the port.
/// </summary>
/// <remarks>
/// Why a connection middleware and not an endpoint: the proxy must see the request bytes as they came (a
/// strict parse is its smuggling defence, Kestrel's parse is lenient in places and rebuilds headers), must
/// stream both ways without Kestrel's body and response machinery in between, and must turn the connection
/// into a raw tunnel after a 101. A listener of its own would need a second port in every kubeconfig.
/// <para>
/// Why HTTP/1.1 only: the proxy speaks HTTP/1.1, so the listener must offer only <c>http/1.1</c> by ALPN;
/// kubectl (client-go) would otherwise negotiate h2, and the proxy never sees h2 (a connection that did
/// negotiate h2 or starts with the h2 preface is passed on untouched, to Kestrel).
/// </para>
/// </remarks>
public sealed class ProxyConnectionMiddleware
{
    /// <summary>A method is a short token; 20 bytes covers every registered one and leaves room for extensions.</summary>
    private const int MaxMethodLength = 20;

    private static ReadOnlySpan<byte> ProxyPrefix => " /k8s/clusters/"u8;

    private readonly ConnectionDelegate _next;
    private readonly ProxyServer _proxy;

    public ProxyConnectionMiddleware(ConnectionDelegate next, ProxyServer proxy)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(proxy);
        _next = next;
        _proxy = proxy;
    }

    private enum Decision : byte
    {
        NeedMore,
        Proxy,
        PassOn,
    }

    public async Task OnConnectedAsync(ConnectionContext connection)
    {
        ReadOnlyMemory<byte> alpn = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? default;
        if (!alpn.IsEmpty && !alpn.Span.SequenceEqual("http/1.1"u8))
        {
            await _next(connection).ConfigureAwait(false);
            return;
        }

        IDuplexPipe transport = connection.Transport;
        PipeReader input = transport.Input;
        ReadOnlySequence<byte> peeked;
        bool completed;
        bool examinedBefore = false;
        Decision decision;
        using (var timeout = new CancellationTokenSource(_proxy.Options.RequestHeadersTimeout, _proxy.Time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, connection.ConnectionClosed))
        {
            try
            {
                while (true)
                {
                    ReadResult result = await input.ReadAsync(linked.Token).ConfigureAwait(false);
                    peeked = result.Buffer;
                    completed = result.IsCompleted || result.IsCanceled;
                    decision = Decide(peeked);
                    if (decision != Decision.NeedMore || completed)
                    {
                        break;
                    }

                    input.AdvanceTo(peeked.Start, peeked.End);
                    examinedBefore = true;
                }
            }
            catch (OperationCanceledException)
            {
                return; // Nothing decidable within the head timeout: a slow client, closed like Kestrel would.
            }
        }

        // Hand the connection on with nothing consumed. Decided on the first read, examined can simply stay at
        // the start. After a "need more", examined has moved past bytes the next reader must see at once, and a
        // pipe's examined position cannot move back, so the next reader reads through PeekedPipeReader.
        IDuplexPipe handedOn = transport;
        if (examinedBefore)
        {
            handedOn = new PeekedDuplexPipe(new PeekedPipeReader(input, peeked, completed), transport.Output);
        }
        else
        {
            input.AdvanceTo(peeked.Start, peeked.Start);
        }

        if (decision == Decision.Proxy)
        {
            await _proxy.ServeAsync(handedOn, connection.ConnectionId, connection.ConnectionClosed).ConfigureAwait(false);
            return;
        }

        connection.Transport = handedOn;
        try
        {
            await _next(connection).ConfigureAwait(false);
        }
        finally
        {
            connection.Transport = transport;
        }
    }

    /// <summary>Is this the start of <c>METHOD /k8s/clusters/</c>? Decides on as few bytes as possible.</summary>
    private static Decision Decide(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> start = stackalloc byte[MaxMethodLength + 16];
        int length = (int)Math.Min(buffer.Length, start.Length);
        buffer.Slice(0, length).CopyTo(start);
        ReadOnlySpan<byte> bytes = start[..length];
        int space = bytes.IndexOf((byte)' ');
        int methodLength = space < 0 ? bytes.Length : space;
        if (methodLength > MaxMethodLength || space == 0 || bytes[..methodLength].ContainsAnyExcept(HttpCharacters.Token))
        {
            return Decision.PassOn; // Not an HTTP/1 request line (the h2 preface "PRI * ..." passes the token test and fails below).
        }

        if (space < 0)
        {
            return Decision.NeedMore;
        }

        ReadOnlySpan<byte> rest = bytes[space..];
        int compared = Math.Min(rest.Length, ProxyPrefix.Length);
        if (!rest[..compared].SequenceEqual(ProxyPrefix[..compared]))
        {
            return Decision.PassOn;
        }

        return compared == ProxyPrefix.Length ? Decision.Proxy : Decision.NeedMore;
    }

    private sealed class PeekedDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
