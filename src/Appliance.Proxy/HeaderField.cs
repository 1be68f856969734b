namespace Appliance.Proxy;

/// <summary>Where one field line's name and (trimmed) value lie in <see cref="RequestHead.Bytes"/>.</summary>
internal readonly record struct HeaderField(int NameStart, int NameLength, int ValueStart, int ValueLength, HeaderKind Kind)
{
    public ReadOnlySpan<byte> Name(ReadOnlySpan<byte> head) => head.Slice(NameStart, NameLength);

    public ReadOnlySpan<byte> Value(ReadOnlySpan<byte> head) => head.Slice(ValueStart, ValueLength);
}
