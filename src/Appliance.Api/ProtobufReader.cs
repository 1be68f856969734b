namespace Appliance.Api;

/// <summary>
/// A forward-only reader of the protobuf wire format (varints, length-delimited fields, fixed 32/64-bit).
/// Malformed input throws <see cref="FormatException"/>, caught at the decoder's boundary.
/// </summary>
internal ref struct ProtobufReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public bool TryReadTag(out int number, out int wireType)
    {
        if (_position >= _buffer.Length)
        {
            number = 0;
            wireType = 0;
            return false;
        }

        ulong tag = ReadVarint();
        number = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        if (number <= 0)
        {
            throw new FormatException("invalid protobuf field number");
        }

        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if ((uint)_position >= (uint)_buffer.Length)
            {
                throw new FormatException("truncated protobuf varint");
            }

            byte b = _buffer[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new FormatException("protobuf varint too long");
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_buffer.Length - _position))
        {
            throw new FormatException("truncated protobuf field");
        }

        ReadOnlySpan<byte> value = _buffer.Slice(_position, (int)length);
        _position += (int)length;
        return value;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0:
                ReadVarint();
                break;
            case 1:
                Advance(8);
                break;
            case 2:
                ReadBytes();
                break;
            case 5:
                Advance(4);
                break;
            default:
                throw new FormatException($"unsupported protobuf wire type {wireType}");
        }
    }

    private void Advance(int count)
    {
        if (count > _buffer.Length - _position)
        {
            throw new FormatException("truncated protobuf field");
        }

        _position += count;
    }
}
