using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Appliance.Proxy;

/// <summary>One proxied request as the audit line needs it, by value: enqueuing it allocates nothing.</summary>
internal struct AuditRecord
{
    public DateTimeOffset Time;

    /// <summary>Null for a request refused before its caller was known (401).</summary>
    public ProxyCaller? Caller;
    public string ClusterId;
    public AuditText Text;
    public int MethodLength;
    public int PathLength;
    public bool PathTruncated;
    public int Status;
    public long RequestBytes;
    public long ResponseBytes;
    public double DurationMilliseconds;
}

/// <summary>
/// Method and path copied out of the request (its buffer is reused at once). Inline rather than rented: a
/// backlog of rented buffers would drain the shared pool and make it allocate. Kubernetes paths are far
/// shorter than this; a longer one is cut and marked.
/// </summary>
[System.Runtime.CompilerServices.InlineArray(ProxyAuditLog.MaxAuditedTextBytes)]
internal struct AuditText
{
    private byte _first;
}

/// <summary>
/// Off the hot path: a request copies its record into a ring allocated once at start (a lock and a struct
/// copy; never a wait, never an allocation: when the ring is full the line is dropped and counted). A
/// background loop drains the ring every <see cref="DrainInterval"/>, formats each record with
/// <see cref="Utf8JsonWriter"/> into a reused buffer and hands it to the sink.
/// </summary>
internal sealed class ProxyAuditLog : IAsyncDisposable
{
    /// <summary>The method and the path without its query (which may carry a label selector with a name in it, or worse).</summary>
    public const int MaxAuditedTextBytes = 320;

    /// <summary>Polling rather than signalling keeps the request side to a lock and a copy; lines are at most this late.</summary>
    public static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(50);

    private readonly AuditRecord[] _ring;
    private readonly Lock _sync = new();
    private readonly IProxyAuditSink _sink;
    private readonly ILogger _logger;
    private readonly PeriodicTimer _timer;
    private readonly Task _drain;
    private int _head;
    private int _count;
    private long _dropped;

    public ProxyAuditLog(IProxyAuditSink sink, int capacity, ILogger logger, TimeProvider timeProvider)
    {
        _sink = sink;
        _logger = logger;
        _ring = new AuditRecord[capacity];
        _timer = new PeriodicTimer(DrainInterval, timeProvider);
        _drain = Task.Run(DrainAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Copies the method and the path (without its query) into the record.</summary>
    public static void SetText(ref AuditRecord record, ReadOnlySpan<byte> method, ReadOnlySpan<byte> target)
    {
        int query = target.IndexOf((byte)'?');
        ReadOnlySpan<byte> path = query < 0 ? target : target[..query];
        Span<byte> text = record.Text;
        int methodLength = Math.Min(method.Length, 32);
        int pathLength = Math.Min(path.Length, text.Length - methodLength);
        method[..methodLength].CopyTo(text);
        path[..pathLength].CopyTo(text[methodLength..]);
        record.MethodLength = methodLength;
        record.PathLength = pathLength;
        record.PathTruncated = pathLength < path.Length;
    }

    public void Enqueue(in AuditRecord record)
    {
        lock (_sync)
        {
            if (_count == _ring.Length)
            {
                _dropped++;
                return;
            }

            _ring[(_head + _count) % _ring.Length] = record;
            _count++;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _timer.Dispose(); // Ends the loop, which drains what is left once more.
        await _drain.ConfigureAwait(false);
    }

    private async Task DrainAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var json = new Utf8JsonWriter(buffer);
        bool running = true;
        while (running)
        {
            running = await _timer.WaitForNextTickAsync().ConfigureAwait(false);
            while (TryDequeue(out AuditRecord record))
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
            }
        }
    }

    private bool TryDequeue(out AuditRecord record)
    {
        lock (_sync)
        {
            if (_count == 0)
            {
                record = default;
                return false;
            }

            record = _ring[_head];
            _ring[_head] = default; // Drops the caller reference.
            _head = (_head + 1) % _ring.Length;
            _count--;
            return true;
        }
    }

    private static void Format(Utf8JsonWriter json, AuditRecord record)
    {
        ReadOnlySpan<byte> text = record.Text;
        json.WriteStartObject();
        json.WriteString("time"u8, record.Time);
        json.WriteString("user"u8, record.Caller?.UserId);
        json.WriteString("userName"u8, record.Caller?.DisplayName);
        json.WriteStartArray("groups"u8);
        if (record.Caller is { } caller)
        {
            IReadOnlyList<string> groups = caller.Groups;
            for (int i = 0; i < groups.Count; i++)
            {
                json.WriteStringValue(groups[i]); // Indexed: an interface foreach would box an enumerator per line.
            }
        }

        json.WriteEndArray();
        json.WriteString("cluster"u8, record.ClusterId);

        // Method and path are validated ASCII (RequestHeadParser), so valid UTF-8.
        json.WriteString("method"u8, text[..record.MethodLength]);
        json.WriteString("path"u8, text.Slice(record.MethodLength, record.PathLength));
        if (record.PathTruncated)
        {
            json.WriteBoolean("pathTruncated"u8, true);
        }

        json.WriteNumber("status"u8, record.Status);
        json.WriteNumber("requestBytes"u8, record.RequestBytes);
        json.WriteNumber("responseBytes"u8, record.ResponseBytes);
        json.WriteNumber("durationMs"u8, Math.Round(record.DurationMilliseconds, 3));
        json.WriteEndObject();
    }
}
