using System.IO.Pipelines;
using System.Text;

namespace Appliance.Proxy.Tests;

public class PeekedPipeReaderTests
{
    [Fact]
    public async Task FirstRead_ReturnsThePeekedBytesAtOnce_ThoughThePeekExaminedThem()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("GET /k8s/x HTTP/1.1\r\n"));
        ReadResult peek = await pipe.Reader.ReadAsync();
        pipe.Reader.AdvanceTo(peek.Buffer.Start, peek.Buffer.End);
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("Host: a\r\n\r\n"));
        peek = await pipe.Reader.ReadAsync(); // The peek saw all of it, decided, examined all.

        var reader = new PeekedPipeReader(pipe.Reader, peek.Buffer, completed: false);
        ValueTask<ReadResult> first = reader.ReadAsync();

        Assert.True(first.IsCompleted);
        Assert.Equal("GET /k8s/x HTTP/1.1\r\nHost: a\r\n\r\n", Encoding.ASCII.GetString((await first).Buffer));
    }

    [Fact]
    public async Task ExaminingLessThanThePeek_ReplaysTheRest_ThenPassesThrough()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("AAAA"));
        ReadResult peek = await pipe.Reader.ReadAsync();
        pipe.Reader.AdvanceTo(peek.Buffer.Start, peek.Buffer.End);
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("BBBB"));
        peek = await pipe.Reader.ReadAsync();
        var reader = new PeekedPipeReader(pipe.Reader, peek.Buffer, completed: false);

        ReadResult first = await reader.ReadAsync();
        reader.AdvanceTo(first.Buffer.GetPosition(4)); // Consumed and examined "AAAA" only.
        ValueTask<ReadResult> second = reader.ReadAsync();
        Assert.True(second.IsCompleted);
        ReadResult secondResult = await second;
        Assert.Equal("BBBB", Encoding.ASCII.GetString(secondResult.Buffer));
        reader.AdvanceTo(secondResult.Buffer.Start, secondResult.Buffer.End);

        ValueTask<ReadResult> third = reader.ReadAsync();
        Assert.False(third.IsCompleted); // Everything seen: now it waits for new bytes, like the pipe.
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("CC"));
        Assert.Equal("BBBBCC", Encoding.ASCII.GetString((await third).Buffer));
    }
}
