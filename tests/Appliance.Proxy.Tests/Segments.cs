using System.Buffers;
using System.Text;

namespace Appliance.Proxy.Tests;

/// <summary>Builds ReadOnlySequence values of one or more segments, as a PipeReader hands them out.</summary>
internal static class Segments
{
    public static byte[] Bytes(string latin1) => Encoding.Latin1.GetBytes(latin1);

    public static ReadOnlySequence<byte> Single(byte[] bytes) => new(bytes);

    /// <summary>Two segments split at <paramref name="at"/>; each lives in its own array, as pipe segments do.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int at)
    {
        var first = new Segment(bytes.AsSpan(0, at).ToArray(), 0);
        Segment last = first.Append(bytes.AsSpan(at).ToArray());
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
