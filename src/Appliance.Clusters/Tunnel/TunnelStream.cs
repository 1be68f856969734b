using System.Buffers;
using Appliance.Proxy;

namespace Appliance.Clusters.Tunnel;

/// <summary>
/// One stream inside a <see cref="TunnelSession"/>: a duplex byte stream to the peer, as a TCP connection
/// would be. <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> returns 0 once the peer has closed its
/// side; <see cref="ShutdownWriteAsync"/> closes ours and reading goes on. <see cref="Stream.Dispose()"/>
/// aborts (a Reset) unless both sides have closed. A Reset from the peer or the end of the session makes
/// reads and writes throw <see cref="IOException"/>; after the session's end, data already received is still
/// read first. One read and one write may run at once, as on a socket.
/// </summary>
public sealed class TunnelStream : Stream, IHalfClosable, IProbedStream
{
    private readonly TunnelSession _session;
    private readonly Lock _lock = new();

    /// <summary>Received, unread payloads in arrays rented from the shared pool; the reader returns them.</summary>
    private readonly Queue<ArraySegment<byte>> _received = new();

    /// <summary>Bytes of the first queued payload already read.</summary>
    private int _headRead;
    private readonly TunnelSignal _readable = new();
    private readonly TunnelSignal _writable = new();
    private readonly int _receiveWindow;

    /// <summary>The opener's wait for OpenAck or Reset; null on the accepting side.</summary>
    private readonly TaskCompletionSource? _opened;
    private Phase _phase;

    /// <summary>Bytes the peer may still send: the windows announced minus the bytes received.</summary>
    private long _receiveCredit;

    /// <summary>Bytes read since the last WindowUpdate; announced in one go once half the window.</summary>
    private int _readUnannounced;

    /// <summary>Bytes this side may still send.</summary>
    private long _sendCredit;
    private bool _localClosed;
    private bool _remoteClosed;

    /// <summary>Set once: why the stream ended other than by both Close frames; the IOException's message.</summary>
    private string? _failure;

    /// <summary>A Reset dropped unread data: reads throw rather than end cleanly.</summary>
    private bool _discarded;
    private bool _disposed;

    internal TunnelStream(TunnelSession session, uint id, bool incoming, int receiveWindow, uint sendWindow)
    {
        _session = session;
        Id = id;
        IsIncoming = incoming;
        _receiveWindow = receiveWindow;
        _receiveCredit = receiveWindow;
        _sendCredit = Math.Min(sendWindow, int.MaxValue);
        if (incoming)
        {
            _phase = Phase.Pending;
        }
        else
        {
            _phase = Phase.Opening;
            _opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private enum Phase
    {
        /// <summary>Opened by this side; waiting for the peer's OpenAck.</summary>
        Opening,

        /// <summary>Opened by the peer; waiting for <see cref="AcceptAsync"/> or <see cref="RejectAsync"/>.</summary>
        Pending,

        Open,
    }

    /// <summary>The stream id on the wire: odd when the server side opened it, even when the agent did.</summary>
    public uint Id { get; }

    /// <summary>Opened by the peer (and handed to <see cref="TunnelSession.StreamOpened"/>).</summary>
    public bool IsIncoming { get; }

    /// <summary>Opened by the peer and neither accepted nor rejected nor ended.</summary>
    internal bool IsUnanswered
    {
        get
        {
            lock (_lock)
            {
                return _phase == Phase.Pending && _failure is null && !_disposed;
            }
        }
    }

    /// <summary>
    /// Usable for another request: open both ways, not failed, and its session still running. A pooled
    /// keep-alive connection over a stream of a dead tunnel is dropped, not rented (the proxy's 503 then).
    /// </summary>
    public bool LooksAlive
    {
        get
        {
            lock (_lock)
            {
                if (_disposed || _failure is not null || _localClosed || _remoteClosed || _received.Count > 0)
                {
                    return false;
                }
            }

            return _session.IsRunning;
        }
    }

    public override bool CanRead => !_disposed;

    public override bool CanWrite => !_disposed;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Answers the peer's Open with OpenAck; the stream is then usable. Only for a stream the peer opened.</summary>
    public async ValueTask AcceptAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ThrowIfUnusable();
            if (_phase != Phase.Pending)
            {
                throw new InvalidOperationException("Only a stream the peer opened, not yet answered, can be accepted.");
            }

            _phase = Phase.Open;
        }

        await _session.SendOpenAckAsync(Id, (uint)_receiveWindow, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Answers the peer's Open with a Reset carrying <paramref name="reason"/> (the opener's IOException says it).
    /// Only for a stream the peer opened, not yet answered; the stream is finished afterwards. Does nothing when
    /// the open is over already (the opener gave up waiting, or the session ended).
    /// </summary>
    public ValueTask RejectAsync(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_failure is not null)
            {
                return ValueTask.CompletedTask;
            }

            if (_phase != Phase.Pending)
            {
                throw new InvalidOperationException("Only a stream the peer opened, not yet answered, can be rejected.");
            }

            _failure = "stream rejected: " + reason;
        }

        _session.Forget(this);
        _session.QueueReset(Id, reason);
        _readable.Set();
        _writable.Set();
        return ValueTask.CompletedTask;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            int read;
            uint announce;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                ThrowIfPhaseNot(Phase.Open);
                if (_received.Count > 0)
                {
                    if (buffer.IsEmpty)
                    {
                        // A zero-byte read only waits for data (StreamCopier's way to borrow a buffer late).
                        return 0;
                    }

                    read = CopyReceived(buffer.Span);
                    announce = Announce(read);
                }
                else if (_discarded)
                {
                    throw new IOException(_failure);
                }
                else if (_remoteClosed)
                {
                    return 0;
                }
                else if (_failure is not null)
                {
                    throw new IOException(_failure);
                }
                else
                {
                    read = -1;
                    announce = 0;
                }
            }

            if (read >= 0)
            {
                if (announce > 0)
                {
                    _session.QueueWindowUpdate(Id, announce);
                }

                return read;
            }

            await _readable.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ThrowIfNotWritable();
        }

        while (!buffer.IsEmpty)
        {
            int chunk = await TakeSendCreditAsync(Math.Min(buffer.Length, _session.MaxPayload), cancellationToken).ConfigureAwait(false);
            try
            {
                await _session.SendDataAsync(Id, buffer[..chunk], cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Cancelled while waiting for its turn on the socket: nothing was sent.
                lock (_lock)
                {
                    _sendCredit += chunk;
                }

                throw;
            }

            buffer = buffer[chunk..];
        }
    }

    /// <summary>Sends Close: the peer reads the end of the stream; this side keeps reading. Later writes throw.</summary>
    public async ValueTask ShutdownWriteAsync()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_localClosed)
            {
                return;
            }

            ThrowIfUnusable();
            ThrowIfPhaseNot(Phase.Open);
            _localClosed = true;
        }

        _writable.Set();
        await _session.SendCloseAsync(Id).ConfigureAwait(false);
        bool finished;
        lock (_lock)
        {
            finished = _remoteClosed;
        }

        if (finished)
        {
            _session.Forget(this);
        }
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    public override int Read(Span<byte> buffer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            int read = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(rented);
            WriteAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override string ToString() => $"tunnel stream {Id}";

    /// <summary>The opener's wait for the peer's answer: IOException on a Reset or the session's end.</summary>
    internal Task WaitOpenedAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
        => _opened!.Task.WaitAsync(timeout, timeProvider, cancellationToken);

    /// <summary>
    /// The receive loop's Data. Returns a protocol violation (the session resets the stream) or null. Copies
    /// into a pooled array; never waits.
    /// </summary>
    internal string? ReceiveData(ReadOnlySpan<byte> payload)
    {
        lock (_lock)
        {
            if (_failure is not null || _disposed)
            {
                // Ended here while the peer's frames were in flight; they are dropped.
                return null;
            }

            if (_phase != Phase.Open)
            {
                return "data before the stream was accepted";
            }

            if (_remoteClosed)
            {
                return "data after the peer's Close";
            }

            if (payload.Length > _receiveCredit)
            {
                return $"{payload.Length} bytes of data with {_receiveCredit} left in the window";
            }

            _receiveCredit -= payload.Length;
            if (payload.IsEmpty)
            {
                return null;
            }

            byte[] array = ArrayPool<byte>.Shared.Rent(payload.Length);
            payload.CopyTo(array);
            _received.Enqueue(new ArraySegment<byte>(array, 0, payload.Length));
        }

        _readable.Set();
        return null;
    }

    /// <summary>The receive loop's Close. Returns a protocol violation or null; <paramref name="finished"/> when both sides closed.</summary>
    internal string? ReceiveClose(out bool finished)
    {
        finished = false;
        lock (_lock)
        {
            if (_failure is not null || _disposed)
            {
                return null;
            }

            if (_phase != Phase.Open)
            {
                return "Close before the stream was accepted";
            }

            _remoteClosed = true;
            finished = _localClosed;
        }

        _readable.Set();
        return null;
    }

    /// <summary>The receive loop's WindowUpdate. Returns a protocol violation or null.</summary>
    internal string? ReceiveWindowUpdate(uint increment)
    {
        lock (_lock)
        {
            if (_failure is not null || _disposed)
            {
                return null;
            }

            if (_sendCredit + increment > int.MaxValue)
            {
                return $"window raised by {increment} to over 2 GiB";
            }

            _sendCredit += increment;
        }

        _writable.Set();
        return null;
    }

    /// <summary>The receive loop's OpenAck. Returns a protocol violation or null.</summary>
    internal string? ReceiveOpenAck(uint window)
    {
        lock (_lock)
        {
            if (_failure is not null || _disposed)
            {
                return null;
            }

            if (_phase != Phase.Opening)
            {
                return "OpenAck for a stream not being opened by this side";
            }

            _phase = Phase.Open;
            _sendCredit = Math.Min(window, int.MaxValue);
        }

        _opened!.TrySetResult();
        return null;
    }

    /// <summary>
    /// Ends the stream without a frame: a Reset received or sent, or the session's end. A Reset drops unread
    /// data (<paramref name="discard"/>); the session's end keeps it readable, as a TCP receive buffer is.
    /// </summary>
    internal bool Fail(string message, bool discard)
    {
        lock (_lock)
        {
            if (_failure is not null || _disposed)
            {
                return false;
            }

            _failure = message;
            if (discard && _received.Count > 0)
            {
                _discarded = true;
                ReleaseReceived();
            }
        }

        _readable.Set();
        _writable.Set();
        _opened?.TrySetException(new IOException(message));
        return true;
    }

    /// <summary>Ends the stream from this side with a Reset carrying <paramref name="reason"/>, unless it has ended already.</summary>
    internal void Abort(string reason)
    {
        if (Fail("stream reset: " + reason, discard: true))
        {
            _session.Forget(this);
            _session.QueueReset(Id, reason);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            bool reset;
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                // Both sides closed: nothing left to abort, the peer has forgotten the stream or soon will.
                reset = _failure is null && !(_localClosed && _remoteClosed);
                _failure ??= "stream disposed";
                _disposed = true;
                ReleaseReceived();
            }

            _readable.Set();
            _writable.Set();
            _opened?.TrySetException(new IOException("stream disposed"));
            _session.Forget(this);
            if (reset)
            {
                _session.QueueReset(Id, "stream disposed");
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Takes up to <paramref name="wanted"/> bytes of send window, waiting while there is none.</summary>
    private async ValueTask<int> TakeSendCreditAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_lock)
            {
                ThrowIfNotWritable();
                if (_sendCredit > 0)
                {
                    int taken = (int)Math.Min(_sendCredit, wanted);
                    _sendCredit -= taken;
                    return taken;
                }
            }

            await _writable.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Copies queued payloads into <paramref name="destination"/>; under the lock.</summary>
    private int CopyReceived(Span<byte> destination)
    {
        int copied = 0;
        while (copied < destination.Length && _received.TryPeek(out ArraySegment<byte> head))
        {
            int available = head.Count - _headRead;
            int count = Math.Min(available, destination.Length - copied);
            head.AsSpan(_headRead, count).CopyTo(destination[copied..]);
            copied += count;
            if (count == available)
            {
                _received.Dequeue();
                ArrayPool<byte>.Shared.Return(head.Array!);
                _headRead = 0;
            }
            else
            {
                _headRead += count;
            }
        }

        return copied;
    }

    /// <summary>
    /// Counts bytes read and returns the WindowUpdate to send: none until half the window was read (one update
    /// per half window, not per read), and none once the peer has closed (it sends nothing more).
    /// </summary>
    private uint Announce(int read)
    {
        _readUnannounced += read;
        if (_remoteClosed || _failure is not null || _readUnannounced < (_receiveWindow + 1) / 2)
        {
            return 0;
        }

        uint increment = (uint)_readUnannounced;
        _receiveCredit += _readUnannounced;
        _readUnannounced = 0;
        return increment;
    }

    private void ReleaseReceived()
    {
        while (_received.TryDequeue(out ArraySegment<byte> segment))
        {
            ArrayPool<byte>.Shared.Return(segment.Array!);
        }

        _headRead = 0;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null)
        {
            throw new IOException(_failure);
        }
    }

    private void ThrowIfNotWritable()
    {
        ThrowIfUnusable();
        ThrowIfPhaseNot(Phase.Open);
        if (_localClosed)
        {
            throw new InvalidOperationException("The stream's sending side is closed (ShutdownWriteAsync).");
        }
    }

    private void ThrowIfPhaseNot(Phase expected)
    {
        if (_phase != expected)
        {
            throw new InvalidOperationException(_phase == Phase.Pending
                ? "Accept the stream (AcceptAsync) before using it."
                : "The stream is not open yet.");
        }
    }
}
