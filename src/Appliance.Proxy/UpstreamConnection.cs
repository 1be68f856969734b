using System.IO.Pipelines;
using System.Net.Sockets;

namespace Appliance.Proxy;

/// <summary>One HTTP/1.1 connection to a cluster's API, with pipes over its stream kept for its lifetime.</summary>
internal sealed class UpstreamConnection : IDisposable
{
    /// <summary>Large enough for a typical list response page in few reads; the pool's buffers are reused.</summary>
    private const int ReadBufferSize = 16 * 1024;

    private readonly Stream _stream;
    private readonly Socket? _socket;
    private int _disposed;

    public UpstreamConnection(Stream stream)
    {
        _stream = stream;
        _socket = FindSocket(stream);
        Reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: 4096, leaveOpen: true));
        Writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public PipeReader Reader { get; }

    public PipeWriter Writer { get; }

    /// <summary>Timestamp of the return to the pool.</summary>
    public long IdleSince { get; set; }

    /// <summary>
    /// It has carried a whole exchange before: if it fails before the first byte of an answer, the upstream
    /// most likely closed it while idle, and a request that can be sent again is (see ProxyConnection).
    /// </summary>
    public bool Reused { get; set; }

    /// <summary>
    /// An idle keep-alive connection must have nothing to read: readable means the upstream closed it (or
    /// sent bytes nobody asked for); either way it cannot carry the next request. Streams without a socket
    /// answer for themselves (<see cref="IProbedStream"/>: a tunnel stream whose agent went away).
    /// </summary>
    /// <param name="probeSocket">
    /// Ask the kernel too (one poll). Skipped for a request that can be sent again on a fresh connection: there
    /// a closed connection costs a retry, and the hot path a system call less.
    /// </param>
    public bool LooksAlive(bool probeSocket = true)
    {
        if (Reader.TryRead(out ReadResult buffered))
        {
            bool empty = buffered.Buffer.IsEmpty && !buffered.IsCompleted;
            Reader.AdvanceTo(buffered.Buffer.Start);
            if (!empty)
            {
                return false;
            }
        }

        try
        {
            return _socket is not null ? !probeSocket || !_socket.Poll(0, SelectMode.SelectRead) : _stream is not IProbedStream probed || probed.LooksAlive;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Ends the sending direction (TLS close_notify, then FIN), keeping the receiving one.</summary>
    public async ValueTask ShutdownWriteAsync()
    {
        await Writer.FlushAsync().ConfigureAwait(false);
        switch (_stream)
        {
            case IHalfClosable halfClosable:
                await halfClosable.ShutdownWriteAsync().ConfigureAwait(false);
                break;
            default:
                _socket?.Shutdown(SocketShutdown.Send);
                break;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Reader.Complete();
        Writer.Complete();
        _stream.Dispose();
    }

    private static Socket? FindSocket(Stream stream) => stream switch
    {
        NetworkStream network => network.Socket,
        DirectUpstreamStream direct => direct.Socket,
        _ => null,
    };
}
