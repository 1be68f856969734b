using System.Buffers;
using System.IO.Pipelines;

namespace Appliance.Proxy;

internal sealed partial class ProxyConnection
{
    /// <summary>
    /// After the upstream's 101 (and only then): a raw byte relay both ways, for exec, attach and port-forward
    /// over SPDY/3.1 or WebSocket. The client ending its side half-closes the upstream and the relay keeps
    /// carrying the upstream's remaining output; the upstream ending closes the client connection (Kestrel's
    /// transport has no half-close of its own). Allocates its two pumps per upgrade, not per request.
    /// </summary>
    private async Task RunTunnelAsync(UpstreamConnection upstream)
    {
        try
        {
            FlushResult flushed = await _output.FlushAsync(_closed).ConfigureAwait(false);
            if (flushed.IsCompleted)
            {
                return;
            }

            Task<long> clientToUpstream = PumpClientToUpstreamAsync(upstream);
            long toClient = await PumpUpstreamToClientAsync(upstream).ConfigureAwait(false);
            _exchange.ResponseBytes += toClient;

            // The upstream is done; stop waiting for the client (its side may still be open).
            _input.CancelPendingRead();
            _exchange.RequestBytes += await clientToUpstream.ConfigureAwait(false);
        }
        finally
        {
            upstream.Dispose();
        }
    }

    private async Task<long> PumpClientToUpstreamAsync(UpstreamConnection upstream)
    {
        long total = 0;
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    _input.AdvanceTo(result.Buffer.Start);
                    return total;
                }

                Write(upstream.Writer, result.Buffer);
                total += result.Buffer.Length;
                _input.AdvanceTo(result.Buffer.End);
                FlushResult flushed = await upstream.Writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    return total;
                }

                if (result.IsCompleted)
                {
                    await upstream.ShutdownWriteAsync().ConfigureAwait(false);
                    return total;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // Either side went away; the other pump sees it too.
            upstream.Dispose();
            return total;
        }
    }

    private async Task<long> PumpUpstreamToClientAsync(UpstreamConnection upstream)
    {
        long total = 0;
        PipeReader reader = upstream.Reader;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                Write(_output, buffer);
                total += buffer.Length;
                reader.AdvanceTo(buffer.End);
                FlushResult flushed = await _output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || result.IsCompleted || result.IsCanceled)
                {
                    return total;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            return total;
        }
    }
}
