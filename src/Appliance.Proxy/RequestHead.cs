using System.Buffers;

namespace Appliance.Proxy;

/// <summary>
/// One parsed request head, as offsets into the head's bytes: nothing is copied into strings. One
/// instance per connection, reused for every request on it (<see cref="RequestHeadParser"/> resets it).
/// </summary>
/// <remarks>
/// The bytes are the pipe's own memory when the head lies in one segment, the common case; a head that
/// straddles segments is copied once into a buffer this instance keeps for the connection (bounded by
/// <see cref="MaxHeadBytes"/>), as Kestrel copies a line that straddles segments. Either way the spans
/// are valid only until the reader is advanced past the head.
/// </remarks>
internal sealed class RequestHead
{
    /// <summary>Request line plus field lines plus the empty line; 64 KiB is twice Kestrel's 32 KiB header limit, kubectl heads are under 2 KiB.</summary>
    public const int DefaultMaxHeadBytes = 64 * 1024;

    /// <summary>Kestrel's default request-line limit.</summary>
    public const int DefaultMaxRequestLineBytes = 8 * 1024;

    /// <summary>Kestrel's default header count limit.</summary>
    public const int DefaultMaxFieldCount = 100;

    private readonly HeaderField[] _fields;
    private byte[]? _straddleCopy;
    private ReadOnlyMemory<byte> _bytes;
    private int _methodLength;
    private int _targetStart;
    private int _targetLength;

    public RequestHead(
        int maxHeadBytes = DefaultMaxHeadBytes,
        int maxRequestLineBytes = DefaultMaxRequestLineBytes,
        int maxFieldCount = DefaultMaxFieldCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeadBytes, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRequestLineBytes, 16);
        ArgumentOutOfRangeException.ThrowIfNegative(maxFieldCount);
        MaxHeadBytes = maxHeadBytes;
        MaxRequestLineBytes = maxRequestLineBytes;
        _fields = new HeaderField[maxFieldCount];
    }

    public int MaxHeadBytes { get; }

    public int MaxRequestLineBytes { get; }

    public int MaxFieldCount => _fields.Length;

    /// <summary>The whole head, from the method to the final CRLF CRLF inclusive.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.Span;

    /// <summary>The same bytes as memory, for what must outlive a span across an await (the credential, the cluster id).</summary>
    internal ReadOnlyMemory<byte> BytesMemory => _bytes;

    /// <summary>Where <see cref="Target"/> starts in <see cref="Bytes"/>.</summary>
    internal int TargetStart => _targetStart;

    public ReadOnlySpan<byte> Method => _bytes.Span[.._methodLength];

    /// <summary>The request-target, always origin-form (starts with "/").</summary>
    public ReadOnlySpan<byte> Target => _bytes.Span.Slice(_targetStart, _targetLength);

    public HttpProtocolVersion Version { get; private set; }

    public int FieldCount { get; private set; }

    /// <summary>The body length from Content-Length, or -1 when there is none.</summary>
    public long ContentLength { get; private set; }

    /// <summary>The body is framed by Transfer-Encoding: chunked (and nothing else, see the parser).</summary>
    public bool IsChunked { get; private set; }

    /// <summary>There is at least one Connection field, so field names may have to be checked against it.</summary>
    public bool HasConnectionField { get; private set; }

    /// <summary>A Connection field lists "close".</summary>
    public bool HasConnectionClose { get; private set; }

    /// <summary>
    /// HTTP/1.1 with an Upgrade field and "upgrade" listed in Connection (RFC 9110 section 7.8; an
    /// Upgrade in HTTP/1.0 must be ignored). Whether the protocol may be tunnelled is the rewriter's call.
    /// </summary>
    public bool IsUpgradeRequest { get; private set; }

    internal ReadOnlySpan<HeaderField> Fields => _fields.AsSpan(0, FieldCount);

    public ReadOnlySpan<byte> FieldName(int index)
    {
        HeaderField field = Fields[index];
        return _bytes.Span.Slice(field.NameStart, field.NameLength);
    }

    public ReadOnlySpan<byte> FieldValue(int index)
    {
        HeaderField field = Fields[index];
        return _bytes.Span.Slice(field.ValueStart, field.ValueLength);
    }

    internal HeaderKind FieldKind(int index) => Fields[index].Kind;

    /// <summary>Points this head at its bytes; copies them only when they straddle segments.</summary>
    internal ReadOnlySpan<byte> Attach(in ReadOnlySequence<byte> head)
    {
        _bytes = HttpHead.Attach(head, ref _straddleCopy, MaxHeadBytes);
        return _bytes.Span;
    }

    internal void Reset()
    {
        _bytes = default;
        _methodLength = 0;
        _targetStart = 0;
        _targetLength = 0;
        Version = HttpProtocolVersion.Http11;
        FieldCount = 0;
        ContentLength = -1;
        IsChunked = false;
        HasConnectionField = false;
        HasConnectionClose = false;
        IsUpgradeRequest = false;
    }

    internal void SetRequestLine(int methodLength, int targetStart, int targetLength, HttpProtocolVersion version)
    {
        _methodLength = methodLength;
        _targetStart = targetStart;
        _targetLength = targetLength;
        Version = version;
    }

    internal bool TryAddField(in HeaderField field)
    {
        if (FieldCount == _fields.Length)
        {
            return false;
        }

        _fields[FieldCount++] = field;
        return true;
    }

    internal void SetFraming(long contentLength, bool isChunked, bool hasConnectionField, bool hasConnectionClose, bool isUpgradeRequest)
    {
        HasConnectionField = hasConnectionField;
        ContentLength = contentLength;
        IsChunked = isChunked;
        HasConnectionClose = hasConnectionClose;
        IsUpgradeRequest = isUpgradeRequest;
    }
}
