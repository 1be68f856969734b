using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Appliance.Proxy;

/// <summary>One proxied request as the audit line needs it; method and path live in a rented buffer.</summary>
internal struct AuditRecord
{
    public DateTimeOffset Time;
    public ProxyCaller Caller;
    public string ClusterId;
    public byte[] Text;
    public int MethodLength;
    public int PathLength;
    public int Status;
    public long RequestBytes;
    public long ResponseBytes;
    public double DurationMilliseconds;
}

/// <summary>
/// Off the hot path: requests enqueue a struct into a bounded channel (no allocation, never waits);
/// one background task formats each with <see cref="Utf8JsonWriter"/> and hands it to the sink.
/// </summary>
internal sealed class ProxyAuditLog : IAsyncDisposable
{
    /// <summary>The method and the path without its query (which may carry a label selector with a name in it, or worse).</summary>
    public const int MaxAuditedTextBytes = 2048;

    private readonly Channel<AuditRecord> _channel;
    private readonly IProxyAuditSink _sink;
    private readonly ILogger _logger;
    private readonly Task _drain;
    private long _dropped;

    public ProxyAuditLog(IProxyAuditSink sink, int capacity, ILogger logger)
    {
        _sink = sink;
        _logger = logger;
        _channel = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once; Enqueue counts the drop.
        });
        _drain = Task.Run(DrainAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Copies what the line needs out of the request's buffers. Returns the rented buffer with the record.</summary>
    public static byte[] RentText(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, out int methodLength, out int pathLength)
    {
        int query = target.IndexOf((byte)'?');
        ReadOnlySpan<byte> path = query < 0 ? target : target[..query];
        methodLength = Math.Min(method.Length, 32);
        pathLength = Math.Min(path.Length, MaxAuditedTextBytes - methodLength);
        byte[] text = ArrayPool<byte>.Shared.Rent(methodLength + pathLength);
        method[..methodLength].CopyTo(text);
        path[..pathLength].CopyTo(text.AsSpan(methodLength));
        return text;
    }

    public void Enqueue(in AuditRecord record)
    {
        if (!_channel.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _dropped);
            ArrayPool<byte>.Shared.Return(record.Text);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _drain.ConfigureAwait(false);
    }

    private async Task DrainAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var json = new Utf8JsonWriter(buffer);
        ChannelReader<AuditRecord> reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out AuditRecord record))
            {
                try
                {
                    buffer.ResetWrittenCount();
                    json.Reset(buffer);
                    Format(json, record);
                    json.Flush();
                    buffer.Write("\n"u8);
                    _sink.Write(buffer.WrittenSpan);
                }
                catch (Exception e)
                {
                    Log.AuditSinkFailed(_logger, e);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(record.Text);
                }
            }
        }
    }

    private static void Format(Utf8JsonWriter json, in AuditRecord record)
    {
        ReadOnlySpan<byte> text = record.Text;
        json.WriteStartObject();
        json.WriteString("time"u8, record.Time);
        json.WriteString("user"u8, record.Caller.UserId);
        json.WriteString("userName"u8, record.Caller.DisplayName);
        json.WriteStartArray("groups"u8);
        foreach (string group in record.Caller.Groups)
        {
            json.WriteStringValue(group);
        }

        json.WriteEndArray();
        json.WriteString("cluster"u8, record.ClusterId);

        // Method and path are validated ASCII (RequestHeadParser), so valid UTF-8.
        json.WriteString("method"u8, text[..record.MethodLength]);
        json.WriteString("path"u8, text.Slice(record.MethodLength, record.PathLength));
        json.WriteNumber("status"u8, record.Status);
        json.WriteNumber("requestBytes"u8, record.RequestBytes);
        json.WriteNumber("responseBytes"u8, record.ResponseBytes);
        json.WriteNumber("durationMs"u8, Math.Round(record.DurationMilliseconds, 3));
        json.WriteEndObject();
    }
}
