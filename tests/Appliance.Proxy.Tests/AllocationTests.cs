using System.Buffers;

namespace Appliance.Proxy.Tests;

public class AllocationTests
{
    [Fact]
    public void ParseRouteAndRewrite_AllocateNothing_InSteadyState()
    {
        var requests = new List<(ReadOnlySequence<byte> Whole, ReadOnlySequence<byte> Split)>();
        foreach ((string head, string body) in RequestCorpus.Valid.Values)
        {
            byte[] bytes = Segments.Bytes(head + body);
            requests.Add((Segments.Single(bytes), Segments.Split(bytes, head.Length / 2)));
        }

        var request = new RequestHead();
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        Assert.Equal(requests.Count * 2, RunAll(requests, request, output)); // Warm-up: JIT, the straddle buffer, static tables.

        // No Assert inside the measured loop: xunit's comparers allocate.
        long before = GC.GetAllocatedBytesForCurrentThread();
        int succeeded = 0;
        for (int i = 0; i < 100; i++)
        {
            succeeded += RunAll(requests, request, output);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(requests.Count * 2 * 100, succeeded);
        Assert.Equal(0, allocated);
    }

    private static int RunAll(List<(ReadOnlySequence<byte> Whole, ReadOnlySequence<byte> Split)> requests, RequestHead request, ArrayBufferWriter<byte> output)
    {
        int succeeded = 0;
        for (int i = 0; i < requests.Count; i++)
        {
            succeeded += RunOne(requests[i].Whole, request, output) + RunOne(requests[i].Split, request, output);
        }

        return succeeded;
    }

    private static int RunOne(ReadOnlySequence<byte> buffer, RequestHead request, ArrayBufferWriter<byte> output)
    {
        output.ResetWrittenCount();
        bool ok = RequestHeadParser.TryParse(buffer, request, out _, out _)
            && ClusterRoute.TryParse(request.Target, out ClusterRoute route) == RouteError.None
            && RequestHeadRewriter.TryWrite(request, route, Rewrite.Identity, Rewrite.Upstream, output, out _) == RewriteError.None;
        return ok ? 1 : 0;
    }
}
