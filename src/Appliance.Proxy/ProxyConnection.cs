using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Proxy;

/// <summary>
/// One client connection the proxy owns: HTTP/1.1 request by request (keep-alive, pipelined), each
/// authenticated, rewritten and forwarded, until the client leaves, a request is refused (which closes the
/// connection: after an error the byte stream cannot be trusted to find the next request), or a timeout.
/// </summary>
/// <remarks>
/// Per connection: this object, its two heads, two timers. Per request in steady state: nothing (pooled
/// async state machines, pooled upstream connections, the caller's cached header block). Modelled on
/// Kestrel's Http1Connection: parse from the pipe, <c>AdvanceTo(consumed, examined)</c> after each read.
/// </remarks>
internal sealed partial class ProxyConnection
{
    /// <summary>A decoded Basic credential, <c>token-xxxxx:secret</c>; Rancher's are under 100 bytes.</summary>
    private const int MaxBasicCredentialBytes = 512;

    private readonly ProxyServer _server;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly string _connectionId;
    private readonly CancellationToken _closed;
    private readonly RequestHead _request = new();
    private readonly ResponseHead _response = new();
    private CancellationTokenSource _clientTimer;
    private CancellationTokenSource _upstreamTimer;
    private byte[]? _basicCredential;
    private UpstreamConnection? _held;
    private bool _clusterUnavailable;
    private ClusterUpstream? _heldCluster;
    private SequencePosition _headEnd;
    private RequestHeadError _rejection;

    public ProxyConnection(ProxyServer server, IDuplexPipe transport, string connectionId, CancellationToken closed)
    {
        _server = server;
        _input = transport.Input;
        _output = transport.Output;
        _connectionId = connectionId;
        _closed = closed;
        _clientTimer = NewTimer();
        _upstreamTimer = NewTimer();
    }

    private enum HeadResult : byte
    {
        Parsed,
        Invalid,
        Closed,
        TimedOut,
    }

    private enum Verdict : byte
    {
        Proceed,
        BadRequest,
        NotFound,
        Misdirected,
        Unauthenticated,
    }

    private ProxyOptions Options => _server.Options;

    public async Task RunAsync()
    {
        try
        {
            bool first = true;
            while (true)
            {
                HeadResult head = await ReadHeadAsync(first).ConfigureAwait(false);
                first = false;
                switch (head)
                {
                    case HeadResult.Parsed:
                        if (!await ProcessRequestAsync().ConfigureAwait(false))
                        {
                            return;
                        }

                        continue;
                    case HeadResult.Invalid:
                        Log.RequestRejected(_server.Logger, _connectionId, _rejection.ToString());
                        await RefuseAsync(StatusResponses.BadRequest).ConfigureAwait(false);
                        return;
                    case HeadResult.TimedOut:
                        Log.ClientTimedOut(_server.Logger, _connectionId);
                        await RefuseAsync(StatusResponses.RequestTimeout, drain: false).ConfigureAwait(false);
                        return;
                    default:
                        return;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away (a reset, Kestrel aborting the connection); nothing left to answer.
            Log.ConnectionFailed(_server.Logger, _connectionId, e);
        }
        finally
        {
            if (_held is { } held)
            {
                _held = null;
                ReleaseHeld(held);
            }

            _clientTimer.Dispose();
            _upstreamTimer.Dispose();
        }
    }

    /// <summary>
    /// Waits for a whole request head, leaving it in the pipe (not advanced) on success. The first request
    /// and a request that has begun get <see cref="ProxyOptions.RequestHeadersTimeout"/>; an idle keep-alive
    /// connection gets <see cref="ProxyOptions.KeepAliveTimeout"/> until its next request's first byte.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HeadResult> ReadHeadAsync(bool first)
    {
        Arm(ref _clientTimer, first ? Options.RequestHeadersTimeout : Options.KeepAliveTimeout);
        bool started = first;
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync(_clientTimer.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (RequestHeadParser.TryParse(buffer, _request, out SequencePosition consumed, out RequestHeadError error))
                {
                    _headEnd = consumed;
                    Disarm(_clientTimer);
                    return HeadResult.Parsed;
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (error != RequestHeadError.None)
                {
                    _rejection = error;
                    return HeadResult.Invalid;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    return HeadResult.Closed; // A clean close between requests, or a truncated head: nothing to answer.
                }

                if (!started && !buffer.IsEmpty)
                {
                    started = true;
                    Arm(ref _clientTimer, Options.RequestHeadersTimeout);
                }
            }
        }
        catch (OperationCanceledException) when (_clientTimer.IsCancellationRequested)
        {
            return started ? HeadResult.TimedOut : HeadResult.Closed;
        }
    }

    /// <summary>Routes the head and finds its credential, all as slices of the head's bytes.</summary>
    private Verdict Inspect(out ProxyCredentialScheme scheme, out ReadOnlyMemory<byte> credential, out ReadOnlyMemory<byte> clusterId)
    {
        scheme = default;
        credential = default;
        clusterId = default;
        RouteError route = ClusterRoute.TryParse(_request.Target, out ClusterRoute parsed);
        switch (route)
        {
            case RouteError.None:
                break;
            case RouteError.NotClusterPath:
                return Verdict.Misdirected;
            case RouteError.MissingClusterId:
            case RouteError.InvalidClusterId:
                return Verdict.NotFound;
            default:
                // Dot-segments and encoded ids: a path that would normalize elsewhere is an attack, not a typo.
                _rejection = RequestHeadError.InvalidRequestTarget;
                return Verdict.BadRequest;
        }

        // The id follows "/k8s/clusters/" in the target.
        clusterId = _request.BytesMemory.Slice(_request.TargetStart + 14, parsed.ClusterId.Length);
        return FindCredential(out scheme, out credential) ? Verdict.Proceed : Verdict.Unauthenticated;
    }

    /// <summary>
    /// Authorization (Bearer or Basic) first, else the <c>R_SESS</c> cookie, as Rancher's authenticator
    /// looks. Two Authorization fields are refused rather than picking one.
    /// </summary>
    private bool FindCredential(out ProxyCredentialScheme scheme, out ReadOnlyMemory<byte> credential)
    {
        scheme = default;
        credential = default;
        ReadOnlySpan<HeaderField> fields = _request.Fields;
        int authorization = -1;
        for (int i = 0; i < fields.Length; i++)
        {
            if (fields[i].Kind == HeaderKind.Authorization)
            {
                if (authorization >= 0)
                {
                    return false;
                }

                authorization = i;
            }
        }

        ReadOnlyMemory<byte> head = _request.BytesMemory;
        if (authorization >= 0)
        {
            HeaderField field = fields[authorization];
            ReadOnlySpan<byte> value = field.Value(head.Span);
            int space = value.IndexOf((byte)' ');
            if (space <= 0)
            {
                return false;
            }

            ReadOnlySpan<byte> authScheme = value[..space];
            int tokenStart = space;
            while (tokenStart < value.Length && value[tokenStart] == ' ')
            {
                tokenStart++;
            }

            ReadOnlyMemory<byte> token = head.Slice(field.ValueStart + tokenStart, value.Length - tokenStart);
            if (token.IsEmpty || token.Span.ContainsAny((byte)' ', (byte)'\t'))
            {
                return false;
            }

            if (Ascii.EqualsIgnoreCase(authScheme, "Bearer"u8))
            {
                scheme = ProxyCredentialScheme.Bearer;
                credential = token;
                return true;
            }

            if (Ascii.EqualsIgnoreCase(authScheme, "Basic"u8))
            {
                _basicCredential ??= new byte[MaxBasicCredentialBytes];
                if (token.Length > Base64.GetMaxEncodedToUtf8Length(MaxBasicCredentialBytes)
                    || Base64.DecodeFromUtf8(token.Span, _basicCredential, out _, out int written) != OperationStatus.Done)
                {
                    return false;
                }

                scheme = ProxyCredentialScheme.Basic;
                credential = _basicCredential.AsMemory(0, written);
                return true;
            }

            return false;
        }

        foreach (HeaderField field in fields)
        {
            if (field.Kind == HeaderKind.Cookie && TryFindCookie(head, field, "R_SESS="u8, out credential))
            {
                scheme = ProxyCredentialScheme.SessionCookie;
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a request the session cookie authenticated may go on, the API's rule (<c>SessionCookies</c> there,
    /// Rancher's): a method that must not change state (GET, HEAD, OPTIONS; methods are case-sensitive, so
    /// anything else is held to the rule), or exactly one <c>X-API-CSRF</c> field equal to the <c>CSRF</c> cookie,
    /// compared in constant time. Another site can make a browser send the cookies, but cannot read them to copy
    /// the value into a header. Only cookie-authenticated requests get here, off the bearer-token hot path; spans
    /// only, nothing allocated.
    /// </summary>
    private bool CsrfHolds()
    {
        ReadOnlySpan<byte> method = _request.Method;
        if (method.SequenceEqual("GET"u8) || method.SequenceEqual("HEAD"u8) || method.SequenceEqual("OPTIONS"u8))
        {
            return true;
        }

        ReadOnlyMemory<byte> head = _request.BytesMemory;
        ReadOnlySpan<byte> header = default;
        ReadOnlyMemory<byte> cookie = default;
        bool headerFound = false;
        bool cookieFound = false;
        foreach (HeaderField field in _request.Fields)
        {
            if (field.Kind == HeaderKind.Other && Ascii.EqualsIgnoreCase(field.Name(head.Span), "X-API-CSRF"u8))
            {
                if (headerFound)
                {
                    return false; // Two values: ambiguous, never one of them picked.
                }

                headerFound = true;
                header = field.Value(head.Span);
            }
            else if (field.Kind == HeaderKind.Cookie && !cookieFound)
            {
                cookieFound = TryFindCookie(head, field, "CSRF="u8, out cookie);
            }
        }

        // Lengths are not secret (the API makes every value 43 characters); the contents are compared without an early exit.
        return headerFound && cookieFound && !header.IsEmpty && CryptographicOperations.FixedTimeEquals(header, cookie.Span);
    }

    /// <summary><c>NAME=value</c> (<paramref name="prefix"/> is <c>NAME=</c>) in a cookie-string (RFC 6265 section 4.2.1: pairs separated by "; ").</summary>
    private static bool TryFindCookie(ReadOnlyMemory<byte> head, HeaderField field, ReadOnlySpan<byte> prefix, out ReadOnlyMemory<byte> value)
    {
        ReadOnlySpan<byte> cookies = field.Value(head.Span);
        int position = 0;
        while (position < cookies.Length)
        {
            int end = cookies[position..].IndexOf((byte)';');
            int pairEnd = end < 0 ? cookies.Length : position + end;
            ReadOnlySpan<byte> pair = cookies[position..pairEnd];
            int leading = pair.Length - pair.TrimStart(" "u8).Length;
            pair = pair[leading..];
            if (pair.StartsWith(prefix))
            {
                int start = position + leading + prefix.Length;
                int length = pair.Length - prefix.Length;
                if (length >= 2 && cookies[start] == '"' && cookies[start + length - 1] == '"')
                {
                    start++;
                    length -= 2;
                }

                value = head.Slice(field.ValueStart + start, length).TrimEnd((byte)' ');
                return !value.IsEmpty;
            }

            position = pairEnd + 1;
        }

        value = default;
        return false;
    }

    /// <summary>Answers with one of the proxy's own responses and ends the connection.</summary>
    private async ValueTask RefuseAsync(byte[] response, bool drain = true)
    {
        FlushResult flushed = await _output.WriteAsync(response, _closed).ConfigureAwait(false);
        if (drain && !flushed.IsCompleted)
        {
            await DrainAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads and discards what the client still sends, briefly, before the connection closes: closing a
    /// socket with unread bytes sends a reset, which can destroy the answer before the client reads it
    /// (Kestrel lingers the same way).
    /// </summary>
    private async ValueTask DrainAsync()
    {
        const long MaxDrainBytes = 64 * 1024;
        Arm(ref _clientTimer, TimeSpan.FromSeconds(1));
        long drained = 0;
        try
        {
            while (drained < MaxDrainBytes)
            {
                ReadResult result = await _input.ReadAsync(_clientTimer.Token).ConfigureAwait(false);
                drained += result.Buffer.Length;
                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Drained as long as we were willing to.
        }
    }

    private CancellationTokenSource NewTimer() =>
        ReferenceEquals(Options.TimeProvider, TimeProvider.System)
            ? new CancellationTokenSource()
            : new CancellationTokenSource(Timeout.InfiniteTimeSpan, Options.TimeProvider);

    /// <summary>Restarts a per-connection timer; reused across requests, replaced only after it fired.</summary>
    private void Arm(ref CancellationTokenSource timer, TimeSpan timeout)
    {
        if (!timer.TryReset())
        {
            timer.Dispose();
            timer = NewTimer();
        }

        timer.CancelAfter(timeout);
    }

    private static void Disarm(CancellationTokenSource timer) => timer.TryReset();
}
