using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;

namespace Appliance.Proxy;

internal sealed partial class ProxyConnection
{
    private enum Outcome : byte
    {
        Ok,

        /// <summary>The client left, timed out or broke its body framing; the connection ends.</summary>
        ClientFailed,

        /// <summary>The client's chunked body is malformed: 400 if nothing was answered yet.</summary>
        ClientInvalid,

        /// <summary>The upstream failed; 502 if nothing was answered yet, else the client connection is closed.</summary>
        UpstreamFailed,

        /// <summary>
        /// The upstream closed or reset the connection before the first byte of an answer: an UpstreamFailed
        /// that a reused connection's replayable request retries on a fresh one.
        /// </summary>
        UpstreamGone,

        /// <summary>A retry found no way to the cluster (its agent is not connected): 503.</summary>
        ClusterUnavailable,

        /// <summary>The upstream answered before the request body was all sent (a 403, a 413): the rest is not sent.</summary>
        EarlyAnswer,

        UpstreamTimedOut,
    }

    /// <summary>The request in flight: what is kept of it once its head has left the pipe.</summary>
    private Exchange _exchange;

    /// <summary>
    /// The upstream read started before a request body is sent, so an answer that comes early (the API server
    /// refusing a large create before reading it) is seen while the body still streams; consumed by
    /// <see cref="ReadResponseHeadAsync"/>. Pending only while <see cref="_answerPending"/>.
    /// </summary>
    private ValueTask<ReadResult> _answer;
    private bool _answerPending;

    /// <summary>What is kept of a request once its head has left the pipe.</summary>
    private struct Exchange
    {
        public ClusterUpstream? Cluster;
        public long StartTimestamp;
        public DateTimeOffset StartTime;
        public bool IsHeadMethod;
        public bool ClientHttp10;
        public bool ClientWantsClose;
        public bool Tunnel;
        public bool ExpectContinue;
        public long ContentLength;
        public bool Chunked;
        public long RequestBytes;
        public long ResponseBytes;
        public int Status;
        public bool ResponseStarted;
        public AuditRecord Audit;
    }

    /// <summary>One request, from its parsed head to the end of its response. False: close the connection.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ProcessRequestAsync()
    {
        _exchange = new Exchange { StartTimestamp = _server.Time.GetTimestamp(), StartTime = _server.Time.GetUtcNow() };
        Verdict verdict = Inspect(out ProxyCredentialScheme scheme, out ReadOnlyMemory<byte> credential, out ReadOnlyMemory<byte> clusterId);
        if (verdict != Verdict.Proceed)
        {
            await RefuseRequestAsync(
                verdict switch
                {
                    Verdict.Misdirected => StatusResponses.Misdirected,
                    Verdict.NotFound => StatusResponses.ClusterNotFound,
                    Verdict.Unauthenticated => StatusResponses.Unauthorized,
                    _ => StatusResponses.BadRequest,
                },
                caller: null,
                clusterId).ConfigureAwait(false);
            return false;
        }

        ProxyAuthResult auth;
        try
        {
            auth = await _server.Authenticator.AuthenticateAsync(scheme, credential, clusterId, _closed).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await RefuseRequestAsync(StatusResponses.AuthenticationUnavailable, caller: null, clusterId).ConfigureAwait(false);
            return false;
        }

        if (auth.Outcome != ProxyAuthOutcome.Allowed || auth.Caller is null)
        {
            await RefuseRequestAsync(auth.Outcome == ProxyAuthOutcome.Forbidden ? StatusResponses.Forbidden : StatusResponses.Unauthorized, auth.Caller, clusterId).ConfigureAwait(false);
            return false;
        }

        // After authentication, as in the API: a stale cookie is a 401 (sign in again), a forged request a 403.
        // The head is still unread in the pipe, so its spans are valid across the await above.
        if (scheme == ProxyCredentialScheme.SessionCookie && !CsrfHolds())
        {
            Log.CsrfRefused(_server.Logger, _connectionId);
            await RefuseRequestAsync(StatusResponses.CsrfRefused, auth.Caller, clusterId).ConfigureAwait(false);
            return false;
        }

        // Looked up after authorization, so an unauthenticated or unauthorized caller cannot probe which ids exist.
        if (!_server.Clusters.TryGetCluster(clusterId.Span, out ClusterUpstream? cluster))
        {
            await RefuseRequestAsync(StatusResponses.ClusterNotFound, auth.Caller, clusterId).ConfigureAwait(false);
            return false;
        }

        ProxyCaller caller = auth.Caller;
        _exchange.Cluster = cluster;
        // A bodiless GET, HEAD or OPTIONS can be sent again: its head stays in the client's pipe until the
        // upstream answers, so a pooled connection the upstream closed while idle costs a retry, not a 502.
        bool replayable = IsReplayable(_request);
        UpstreamConnection? upstream = await RentOrDialAsync(cluster, probe: !replayable).ConfigureAwait(false);
        if (upstream is null)
        {
            await RefuseRequestAsync(_clusterUnavailable ? StatusResponses.ClusterUnavailable : StatusResponses.BadGateway, caller, clusterId).ConfigureAwait(false);
            return false;
        }

        RewriteError rewrite = WriteUpstreamHead(caller, cluster, upstream);
        if (rewrite != RewriteError.None)
        {
            Log.RewriteRefused(_server.Logger, cluster.ClusterId, rewrite);
            cluster.Pool.Return(upstream); // Nothing was written to it.
            await RefuseRequestAsync(StatusResponses.BadGateway, caller, clusterId).ConfigureAwait(false);
            return false;
        }

        if (!replayable)
        {
            _input.AdvanceTo(_headEnd); // The head's spans are dead from here on; Exchange holds what is still needed.
        }

        bool keepAlive = false;
        bool reusable = false;
        bool bodyCut = false;
        try
        {
            Outcome outcome = await SendRequestBodyAsync(upstream).ConfigureAwait(false);
            if (_answerPending && (outcome is Outcome.EarlyAnswer or Outcome.UpstreamGone or Outcome.UpstreamFailed || (outcome == Outcome.UpstreamTimedOut && _answer.IsCompleted)))
            {
                // The body stopped short: relay the upstream's answer if it gave one (its 403 says more than our
                // 502), then close, since the rest of the client's body is still on the way.
                bodyCut = true;
                _exchange.ClientWantsClose = true;
                Outcome answered = await ReadResponseHeadAsync(upstream).ConfigureAwait(false);
                outcome = answered == Outcome.Ok || outcome == Outcome.EarlyAnswer ? answered : outcome;
            }
            else if (outcome == Outcome.Ok)
            {
                outcome = await ReadResponseHeadAsync(upstream).ConfigureAwait(false);
            }

            if (outcome == Outcome.UpstreamGone && replayable && upstream.Reused && !_exchange.ResponseStarted)
            {
                Log.UpstreamClosedIdle(_server.Logger, cluster.ClusterId);
                upstream.Dispose();
                upstream = await DialAsync(cluster).ConfigureAwait(false);
                if (upstream is null)
                {
                    outcome = _clusterUnavailable ? Outcome.ClusterUnavailable : Outcome.UpstreamFailed;
                }
                else
                {
                    WriteUpstreamHead(caller, cluster, upstream); // The same head as before: it passed the checks then.
                    outcome = await SendRequestBodyAsync(upstream).ConfigureAwait(false);
                    if (outcome == Outcome.Ok)
                    {
                        outcome = await ReadResponseHeadAsync(upstream).ConfigureAwait(false);
                    }
                }
            }

            if (replayable)
            {
                _input.AdvanceTo(_headEnd);
            }

            // A retry that found the cluster unreachable left no upstream (and an outcome answered below).
            if (upstream is not null && outcome == Outcome.Ok && _exchange.Tunnel && _response.StatusCode == 101)
            {
                await RunTunnelAsync(upstream).ConfigureAwait(false);
                upstream = null; // The tunnel disposed it.
            }
            else if (upstream is not null && outcome == Outcome.Ok)
            {
                outcome = await RelayResponseBodyAsync(upstream).ConfigureAwait(false);
                reusable = outcome == Outcome.Ok && !_response.CloseConnection && !bodyCut;
                keepAlive = outcome == Outcome.Ok && !_exchange.ClientWantsClose && _response.Framing != ResponseFraming.UntilClose
                    && !(_exchange.ClientHttp10);
                if (bodyCut && outcome == Outcome.Ok)
                {
                    await DrainAsync().ConfigureAwait(false);
                }
            }

            if (outcome != Outcome.Ok && !_exchange.ResponseStarted)
            {
                byte[] answer = outcome switch
                {
                    Outcome.UpstreamTimedOut => StatusResponses.GatewayTimeout,
                    Outcome.ClientInvalid => StatusResponses.BadRequest,
                    Outcome.ClusterUnavailable => StatusResponses.ClusterUnavailable,
                    _ => StatusResponses.BadGateway,
                };
                _exchange.Status = StatusResponses.StatusOf(answer);
                if (outcome is Outcome.UpstreamTimedOut)
                {
                    Log.UpstreamTimedOut(_server.Logger, cluster.ClusterId, Options.UpstreamResponseHeadersTimeout);
                }

                if (outcome != Outcome.ClientFailed)
                {
                    await _output.WriteAsync(answer, _closed).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (_answerPending)
            {
                // The body never finished (the client failed): the connection goes, which ends the read.
                _answerPending = false;
                upstream?.Dispose();
                upstream = null;
                try
                {
                    await _answer.ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
                {
                    // Expected: the stream was disposed under the read.
                }
            }

            if (upstream is not null)
            {
                if (reusable)
                {
                    // Kept for this client's next request: a keep-alive client then reuses one upstream connection
                    // with no pool round trip, and N busy clients never churn a pool smaller than N (measured with
                    // bench/proxy-load.sh: 64 clients over a 32-connection pool dialled ~49,000 times in 10 s).
                    upstream.Reused = true;
                    _held = upstream;
                    _heldCluster = cluster;
                }
                else
                {
                    upstream.Dispose();
                }
            }

            Audit(caller, cluster);
        }

        return keepAlive;
    }

    /// <summary>
    /// Audits a request refused before it was forwarded (401, 403, 404, 502, 503: who tried what, even
    /// unauthenticated, with no user then), releases its head and answers. Off the hot path, so the cluster id
    /// may be copied into a string.
    /// </summary>
    private ValueTask RefuseRequestAsync(byte[] response, ProxyCaller? caller, ReadOnlyMemory<byte> clusterId)
    {
        AuditRecord record = default;
        record.Time = _exchange.StartTime;
        record.Caller = caller;
        record.ClusterId = clusterId.IsEmpty ? "" : _server.Clusters.TryGetCluster(clusterId.Span, out ClusterUpstream? known) ? known.ClusterId : Encoding.ASCII.GetString(clusterId.Span);
        record.Status = StatusResponses.StatusOf(response);
        record.DurationMilliseconds = _server.Time.GetElapsedTime(_exchange.StartTimestamp).TotalMilliseconds;
        ReadOnlySpan<byte> target = _request.Target;
        ProxyAuditLog.SetText(ref record, _request.Method, ClusterRoute.TryParse(target, out ClusterRoute route) == RouteError.None ? route.UpstreamTargetRest : target);
        _server.Audit.Enqueue(record);
        _input.AdvanceTo(_headEnd);
        return RefuseAsync(response);
    }

    /// <summary>GET, HEAD and OPTIONS without a body, and not an upgrade: safe to send twice, nothing to stream.</summary>
    private static bool IsReplayable(RequestHead request)
    {
        ReadOnlySpan<byte> method = request.Method;
        return !request.IsChunked && request.ContentLength <= 0 && !request.IsUpgradeRequest
            && (method.SequenceEqual("GET"u8) || method.SequenceEqual("HEAD"u8) || method.SequenceEqual("OPTIONS"u8));
    }

    /// <param name="probe">Whether the held connection's socket is polled (see <see cref="UpstreamConnection.LooksAlive"/>).</param>
    private ValueTask<UpstreamConnection?> RentOrDialAsync(ClusterUpstream cluster, bool probe)
    {
        UpstreamConnection? held = _held;
        if (held is not null)
        {
            _held = null;
            if (ReferenceEquals(_heldCluster, cluster) && held.LooksAlive(probe))
            {
                return new ValueTask<UpstreamConnection?>(held);
            }

            ReleaseHeld(held);
        }

        return cluster.Pool.TryRent(out UpstreamConnection? pooled) ? new ValueTask<UpstreamConnection?>(pooled) : DialAsync(cluster);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<UpstreamConnection?> DialAsync(ClusterUpstream cluster)
    {
        Arm(ref _upstreamTimer, Options.UpstreamConnectTimeout);
        _clusterUnavailable = false;
        try
        {
            Stream stream = await cluster.Dialer.ConnectAsync(_upstreamTimer.Token).ConfigureAwait(false);
            return new UpstreamConnection(stream);
        }
        catch (ClusterUnavailableException e)
        {
            _clusterUnavailable = true;
            Log.ClusterUnavailable(_server.Logger, cluster.ClusterId, e.Message);
            return null;
        }
        catch (Exception e)
        {
            Log.UpstreamConnectFailed(_server.Logger, cluster.ClusterId, e);
            return null;
        }
        finally
        {
            Disarm(_upstreamTimer);
        }
    }

    /// <summary>The rewrite into the upstream's pipe, and everything later steps need from the head.</summary>
    private RewriteError WriteUpstreamHead(ProxyCaller caller, ClusterUpstream cluster, UpstreamConnection upstream)
    {
        RequestHead request = _request;
        ClusterRoute.TryParse(request.Target, out ClusterRoute route); // Valid: Inspect routed it.
        RewriteError error = RequestHeadRewriter.TryWrite(request, route, caller.Headers, cluster.Headers, upstream.Writer, out _);
        _exchange.IsHeadMethod = request.Method.SequenceEqual("HEAD"u8);
        _exchange.ClientHttp10 = request.Version == HttpProtocolVersion.Http10;
        _exchange.ClientWantsClose = request.HasConnectionClose || _exchange.ClientHttp10;
        _exchange.Tunnel = RequestHeadRewriter.IsTunnelledUpgrade(request);
        _exchange.ContentLength = request.ContentLength;
        _exchange.Chunked = request.IsChunked;
        _exchange.ExpectContinue = (request.IsChunked || request.ContentLength > 0) && HasExpectContinue(request);
        ProxyAuditLog.SetText(ref _exchange.Audit, request.Method, route.UpstreamTargetRest);
        return error;
    }

    private static bool HasExpectContinue(RequestHead request)
    {
        for (int i = 0; i < request.FieldCount; i++)
        {
            if (request.Fields[i].Kind == HeaderKind.Expect && Ascii.EqualsIgnoreCase(request.FieldValue(i), "100-continue"u8))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sends the head and streams the body by its framing; nothing is buffered beyond one read.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> SendRequestBodyAsync(UpstreamConnection upstream)
    {
        if (_exchange.ExpectContinue)
        {
            // Answered here rather than waiting for the upstream's 100: the body goes out right behind the head.
            // A 100 from the upstream is relayed too; clients accept several (RFC 9110 section 15.2).
            FlushResult continued = await _output.WriteAsync(StatusResponses.Continue, _closed).ConfigureAwait(false);
            if (continued.IsCompleted)
            {
                return Outcome.ClientFailed;
            }
        }

        if (!_exchange.Chunked && _exchange.ContentLength <= 0)
        {
            return await FlushUpstreamAsync(upstream).ConfigureAwait(false);
        }

        _answer = upstream.Reader.ReadAsync();
        _answerPending = true;
        if (!_exchange.Chunked)
        {
            long remaining = _exchange.ContentLength;
            while (remaining > 0)
            {
                Arm(ref _clientTimer, Options.RequestBodyIdleTimeout);
                ReadResult result;
                try
                {
                    result = await _input.ReadAsync(_clientTimer.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return Outcome.ClientFailed;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                long take = Math.Min(remaining, buffer.Length);
                ReadOnlySequence<byte> slice = buffer.Slice(0, take);
                Write(upstream.Writer, slice);
                _input.AdvanceTo(slice.End);
                remaining -= take;
                _exchange.RequestBytes += take;
                if (take == 0 && (result.IsCompleted || result.IsCanceled))
                {
                    return Outcome.ClientFailed; // The body ended early: the client is gone.
                }

                Outcome flushed = await FlushUpstreamAsync(upstream).ConfigureAwait(false);
                if (flushed != Outcome.Ok)
                {
                    return flushed;
                }

                if (remaining > 0 && _answer.IsCompleted)
                {
                    Disarm(_clientTimer);
                    return Outcome.EarlyAnswer;
                }
            }

            Disarm(_clientTimer);
            return Outcome.Ok;
        }

        ChunkedDecoder decoder = default;
        while (true)
        {
            Arm(ref _clientTimer, Options.RequestBodyIdleTimeout);
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(_clientTimer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Outcome.ClientFailed;
            }

            ChunkedStatus status = decoder.Decode(result.Buffer, upstream.Writer, dechunk: false, out SequencePosition consumed, out long data);
            _exchange.RequestBytes += data;
            _input.AdvanceTo(consumed, status == ChunkedStatus.NeedMore ? result.Buffer.End : consumed);
            if (status == ChunkedStatus.Invalid)
            {
                return Outcome.ClientInvalid;
            }

            if (status == ChunkedStatus.NeedMore && (result.IsCompleted || result.IsCanceled))
            {
                return Outcome.ClientFailed;
            }

            Outcome flushed = await FlushUpstreamAsync(upstream).ConfigureAwait(false);
            if (flushed != Outcome.Ok || status == ChunkedStatus.Done)
            {
                Disarm(_clientTimer);
                return flushed;
            }

            if (_answer.IsCompleted)
            {
                Disarm(_clientTimer);
                return Outcome.EarlyAnswer;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> FlushUpstreamAsync(UpstreamConnection upstream)
    {
        Arm(ref _upstreamTimer, Options.UpstreamResponseHeadersTimeout);
        try
        {
            FlushResult result = await upstream.Writer.FlushAsync(_upstreamTimer.Token).ConfigureAwait(false);
            return result.IsCompleted || result.IsCanceled ? Outcome.UpstreamGone : Outcome.Ok;
        }
        catch (OperationCanceledException) when (_upstreamTimer.IsCancellationRequested)
        {
            return Outcome.UpstreamTimedOut;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or System.Security.Authentication.AuthenticationException)
        {
            return Outcome.UpstreamGone; // Not one answer byte can have come back on a connection that refused the request.
        }
        finally
        {
            Disarm(_upstreamTimer);
        }
    }

    /// <summary>
    /// Reads the response head within <see cref="ProxyOptions.UpstreamResponseHeadersTimeout"/>. Interim 1xx
    /// heads (100, 102, 103) are relayed and skipped; a 101 is final only for a request that asked for it.
    /// Leaves the final head in <see cref="_response"/> written to the client (not flushed) and consumed.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ReadResponseHeadAsync(UpstreamConnection upstream)
    {
        Arm(ref _upstreamTimer, Options.UpstreamResponseHeadersTimeout);
        PipeReader reader = upstream.Reader;
        bool answered = false;
        try
        {
            while (true)
            {
                ReadResult result = _answerPending ? await TakeAnswerAsync(reader).ConfigureAwait(false) : await reader.ReadAsync(_upstreamTimer.Token).ConfigureAwait(false);
                if (result.IsCanceled && _upstreamTimer.IsCancellationRequested)
                {
                    return Outcome.UpstreamTimedOut;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                answered |= !buffer.IsEmpty;
                if (ResponseHeadParser.TryParse(buffer, _response, _exchange.IsHeadMethod, out SequencePosition consumed, out bool invalid))
                {
                    int status = _response.StatusCode;
                    if (status == 101 && !_exchange.Tunnel)
                    {
                        reader.AdvanceTo(consumed);
                        Log.UpstreamInvalidResponse(_server.Logger, _exchange.Cluster!.ClusterId);
                        return Outcome.UpstreamFailed;
                    }

                    bool interim = status < 200 && status != 101;
                    // A head with no body bytes behind it yet (a watch before its first event, a slow body) goes
                    // out now: clients wait for the head. Otherwise it leaves with the body, in one write.
                    bool nothingBuffered = buffer.Slice(consumed).IsEmpty;
                    WriteResponseHead(interim);
                    reader.AdvanceTo(consumed);
                    _exchange.ResponseStarted = true;
                    if (!interim)
                    {
                        _exchange.Status = status;
                        if (nothingBuffered)
                        {
                            FlushResult headFlushed = await _output.FlushAsync(_closed).ConfigureAwait(false);
                            if (headFlushed.IsCompleted)
                            {
                                return Outcome.ClientFailed;
                            }
                        }

                        return Outcome.Ok;
                    }

                    FlushResult flushed = await _output.FlushAsync(_closed).ConfigureAwait(false);
                    if (flushed.IsCompleted)
                    {
                        return Outcome.ClientFailed;
                    }

                    continue;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (invalid || result.IsCompleted || result.IsCanceled)
                {
                    return answered || invalid ? Outcome.UpstreamFailed : Outcome.UpstreamGone;
                }
            }
        }
        catch (OperationCanceledException) when (_upstreamTimer.IsCancellationRequested)
        {
            return Outcome.UpstreamTimedOut;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            return answered ? Outcome.UpstreamFailed : Outcome.UpstreamGone;
        }
        finally
        {
            Disarm(_upstreamTimer);
        }
    }

    /// <summary>The read started before the body, under the response-head timeout from now on (it was begun without a token).</summary>
    private async ValueTask<ReadResult> TakeAnswerAsync(PipeReader reader)
    {
        _answerPending = false;
        using CancellationTokenRegistration timeout = _upstreamTimer.Token.UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), reader);
        return await _answer.ConfigureAwait(false);
    }

    /// <summary>
    /// The response head for the client: the status line as received (in HTTP/1.1), the upstream's end-to-end
    /// fields, and framing and connection fields of our own, since the client connection is ours.
    /// </summary>
    private void WriteResponseHead(bool interim)
    {
        ResponseHead response = _response;
        ReadOnlySpan<byte> bytes = response.Bytes;
        Span<byte> destination = _output.GetSpan(bytes.Length + 128);
        int position = 0;
        Append(destination, ref position, "HTTP/1.1 "u8);
        int status = response.StatusCode;
        destination[position++] = (byte)('0' + (status / 100));
        destination[position++] = (byte)('0' + (status / 10 % 10));
        destination[position++] = (byte)('0' + (status % 10));
        destination[position++] = (byte)' ';
        Append(destination, ref position, response.Reason);
        Append(destination, ref position, "\r\n"u8);

        bool switching = status == 101;
        foreach (HeaderField field in response.Fields)
        {
            bool drop = field.Kind switch
            {
                HeaderKind.Connection or HeaderKind.HopByHop or HeaderKind.TransferEncoding or HeaderKind.ContentLength => true,
                HeaderKind.Upgrade => !switching,
                _ => response.HasConnectionField && HttpHead.IsNamedByConnection(bytes, response.Fields, field.Name(bytes)),
            };
            if (!drop)
            {
                Append(destination, ref position, field.Name(bytes));
                Append(destination, ref position, ": "u8);
                Append(destination, ref position, field.Value(bytes));
                Append(destination, ref position, "\r\n"u8);
            }
        }

        if (switching)
        {
            Append(destination, ref position, "Connection: Upgrade\r\n"u8);
        }
        else if (!interim)
        {
            if (response.ContentLength >= 0 && status != 204)
            {
                Append(destination, ref position, "Content-Length: "u8);
                Utf8Formatter.TryFormat(response.ContentLength, destination[position..], out int digits);
                position += digits;
                Append(destination, ref position, "\r\n"u8);
            }
            else if (response.Framing == ResponseFraming.Chunked && !_exchange.ClientHttp10)
            {
                Append(destination, ref position, "Transfer-Encoding: chunked\r\n"u8);
            }

            // A body delimited by close, or de-chunked for HTTP/1.0, ends by closing the client connection too.
            if (response.Framing == ResponseFraming.UntilClose || (response.Framing == ResponseFraming.Chunked && _exchange.ClientHttp10))
            {
                _exchange.ClientWantsClose = true;
            }

            if (_exchange.ClientWantsClose)
            {
                Append(destination, ref position, "Connection: close\r\n"u8);
            }
        }

        Append(destination, ref position, "\r\n"u8);
        _output.Advance(position);
    }

    /// <summary>
    /// Streams the body to the client as it arrives, one flush per read, so a watch event or a log line is seen
    /// at once. Upstream reads end when the client's socket closes (<see cref="_closed"/>, Kestrel's
    /// ConnectionClosed, which fires on the client's FIN even while nobody reads its side), so an idle watch
    /// does not outlive its client (ClientLeavingAnIdleWatch_ClosesItsUpstreamConnection).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> RelayResponseBodyAsync(UpstreamConnection upstream)
    {
        PipeReader reader = upstream.Reader;
        ResponseFraming framing = _response.Framing;
        if (framing == ResponseFraming.None || (framing == ResponseFraming.ContentLength && _response.ContentLength == 0))
        {
            return await FlushClientAsync().ConfigureAwait(false);
        }

        long remaining = _response.ContentLength;
        ChunkedDecoder decoder = default;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(_closed).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Outcome.ClientFailed;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
            {
                return Outcome.UpstreamFailed;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            bool done;
            switch (framing)
            {
                case ResponseFraming.ContentLength:
                {
                    ReadOnlySequence<byte> slice = buffer.Slice(0, Math.Min(remaining, buffer.Length));
                    Write(_output, slice);
                    reader.AdvanceTo(slice.End);
                    remaining -= slice.Length;
                    _exchange.ResponseBytes += slice.Length;
                    done = remaining == 0;
                    if (!done && slice.IsEmpty && result.IsCompleted)
                    {
                        return Outcome.UpstreamFailed; // Shorter than announced: the client must not take it as whole.
                    }

                    break;
                }

                case ResponseFraming.Chunked:
                {
                    ChunkedStatus status = decoder.Decode(buffer, _output, _exchange.ClientHttp10, out SequencePosition consumed, out long data);
                    _exchange.ResponseBytes += data;
                    reader.AdvanceTo(consumed, status == ChunkedStatus.NeedMore ? buffer.End : consumed);
                    if (status == ChunkedStatus.Invalid || (status == ChunkedStatus.NeedMore && result.IsCompleted))
                    {
                        await FlushClientAsync().ConfigureAwait(false);
                        return Outcome.UpstreamFailed;
                    }

                    done = status == ChunkedStatus.Done;
                    break;
                }

                default:
                    Write(_output, buffer);
                    reader.AdvanceTo(buffer.End);
                    _exchange.ResponseBytes += buffer.Length;
                    done = result.IsCompleted;
                    break;
            }

            Outcome flushed = await FlushClientAsync().ConfigureAwait(false);
            if (flushed != Outcome.Ok || done)
            {
                return flushed;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> FlushClientAsync()
    {
        FlushResult result = await _output.FlushAsync(_closed).ConfigureAwait(false);
        return result.IsCompleted || result.IsCanceled ? Outcome.ClientFailed : Outcome.Ok;
    }

    private void Audit(ProxyCaller caller, ClusterUpstream cluster)
    {
        ref AuditRecord record = ref _exchange.Audit;
        record.Time = _exchange.StartTime;
        record.Caller = caller;
        record.ClusterId = cluster.ClusterId;
        record.Status = _exchange.Status;
        record.RequestBytes = _exchange.RequestBytes;
        record.ResponseBytes = _exchange.ResponseBytes;
        record.DurationMilliseconds = _server.Time.GetElapsedTime(_exchange.StartTimestamp).TotalMilliseconds;
        _server.Audit.Enqueue(record);
    }

    /// <summary>Gives the held upstream connection back to its cluster's pool (the client left or moved to another cluster).</summary>
    private void ReleaseHeld(UpstreamConnection held)
    {
        if (_heldCluster is { } cluster && held.LooksAlive())
        {
            cluster.Pool.Return(held);
        }
        else
        {
            held.Dispose();
        }

        _heldCluster = null;
    }

    private static void Write(PipeWriter writer, in ReadOnlySequence<byte> data)
    {
        foreach (ReadOnlyMemory<byte> segment in data)
        {
            writer.Write(segment.Span);
        }
    }

    private static void Append(Span<byte> destination, ref int position, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[position..]);
        position += bytes.Length;
    }
}
