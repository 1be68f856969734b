using System.Buffers;
using System.Text;

namespace Appliance.Proxy.Tests;

/// <summary>A test's view of one parse: what came back, rendered as text so results compare by value.</summary>
internal sealed record ParsedHead(bool Complete, RequestHeadError Error, long Consumed, string Rendering)
{
    public static ParsedHead Parse(ReadOnlySequence<byte> buffer, RequestHead? head = null)
    {
        head ??= new RequestHead();
        bool complete = RequestHeadParser.TryParse(buffer, head, out SequencePosition consumed, out RequestHeadError error);
        long consumedBytes = buffer.Slice(buffer.Start, consumed).Length;
        return new ParsedHead(complete, error, consumedBytes, complete ? Render(head) : "");
    }

    public static ParsedHead Parse(string request, RequestHead? head = null) => Parse(Segments.Single(Segments.Bytes(request)), head);

    /// <summary>Every parsed property, one per line.</summary>
    public static string Render(RequestHead head)
    {
        var text = new StringBuilder();
        text.Append(Encoding.Latin1.GetString(head.Method)).Append(' ')
            .Append(Encoding.Latin1.GetString(head.Target)).Append(' ')
            .Append(head.Version).Append('\n');
        for (int i = 0; i < head.FieldCount; i++)
        {
            text.Append('[').Append(Encoding.Latin1.GetString(head.FieldName(i))).Append("]=[")
                .Append(Encoding.Latin1.GetString(head.FieldValue(i))).Append("] ").Append(head.FieldKind(i)).Append('\n');
        }

        text.Append("content-length=").Append(head.ContentLength)
            .Append(" chunked=").Append(head.IsChunked)
            .Append(" upgrade=").Append(head.IsUpgradeRequest)
            .Append(" close=").Append(head.HasConnectionClose)
            .Append(" connection=").Append(head.HasConnectionField);
        return text.ToString();
    }
}
