using System.Buffers;

namespace Appliance.Benchmarks.Proxy;

/// <summary>A pipe-like segment, to build a head that straddles two buffers.</summary>
internal sealed class BenchmarkSegment : ReadOnlySequenceSegment<byte>
{
    public BenchmarkSegment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Split(byte[] bytes, int at)
    {
        var first = new BenchmarkSegment(bytes.AsMemory(0, at).ToArray(), 0);
        var last = new BenchmarkSegment(bytes.AsMemory(at).ToArray(), at);
        first.Next = last;
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
