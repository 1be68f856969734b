using System.Buffers;

namespace Appliance.Proxy;

/// <summary>How a response's body ends (RFC 9112 section 6.3).</summary>
internal enum ResponseFraming : byte
{
    /// <summary>No body: 1xx, 204, 304, or the answer to HEAD.</summary>
    None,
    ContentLength,
    Chunked,

    /// <summary>No length given: the body is everything until the upstream closes.</summary>
    UntilClose,
}

/// <summary>
/// One parsed upstream response head, as offsets into its bytes; one instance per proxy connection, reused
/// (the same scheme as <see cref="RequestHead"/>).
/// </summary>
internal sealed class ResponseHead
{
    public const int MaxHeadBytes = 64 * 1024;

    /// <summary>kube-apiserver sends about ten; 200 leaves room for what a webhook or aggregated API adds.</summary>
    public const int MaxFieldCount = 200;

    private readonly HeaderField[] _fields = new HeaderField[MaxFieldCount];
    private byte[]? _straddleCopy;
    private ReadOnlyMemory<byte> _bytes;

    public ReadOnlySpan<byte> Bytes => _bytes.Span;

    public int StatusCode { get; private set; }

    /// <summary>The reason phrase, possibly empty.</summary>
    public ReadOnlySpan<byte> Reason => _bytes.Span.Slice(ReasonStart, ReasonLength);

    public int FieldCount { get; private set; }

    public ResponseFraming Framing { get; private set; }

    /// <summary>From Content-Length, or -1.</summary>
    public long ContentLength { get; private set; }

    /// <summary>The upstream said <c>Connection: close</c> (or is HTTP/1.0 without keep-alive): do not reuse it.</summary>
    public bool CloseConnection { get; private set; }

    public bool HasConnectionField { get; private set; }

    internal int ReasonStart { get; private set; }

    internal int ReasonLength { get; private set; }

    internal ReadOnlySpan<HeaderField> Fields => _fields.AsSpan(0, FieldCount);

    internal ReadOnlySpan<byte> Attach(in ReadOnlySequence<byte> head)
    {
        _bytes = HttpHead.Attach(head, ref _straddleCopy, MaxHeadBytes);
        return _bytes.Span;
    }

    internal void Reset()
    {
        _bytes = default;
        StatusCode = 0;
        ReasonStart = 0;
        ReasonLength = 0;
        FieldCount = 0;
        Framing = ResponseFraming.None;
        ContentLength = -1;
        CloseConnection = false;
        HasConnectionField = false;
    }

    internal void SetStatusLine(int statusCode, int reasonStart, int reasonLength)
    {
        StatusCode = statusCode;
        ReasonStart = reasonStart;
        ReasonLength = reasonLength;
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

    internal void SetFraming(ResponseFraming framing, long contentLength, bool closeConnection, bool hasConnectionField)
    {
        Framing = framing;
        ContentLength = contentLength;
        CloseConnection = closeConnection;
        HasConnectionField = hasConnectionField;
    }
}
