using System.Buffers;
using Appliance.Proxy;
using BenchmarkDotNet.Attributes;

namespace Appliance.Benchmarks.Proxy;

/// <summary>
/// The proxy's per-request head work: parse, route, rewrite with the caller's cached identity, over the
/// kubectl corpus. One operation is one request; the budget is 0 B allocated per operation (STYLE.md 6).
/// </summary>
[MemoryDiagnoser]
public class ProxyRequestHeadBenchmarks
{
    /// <summary>OperationsPerInvoke must be a constant; Setup checks it matches the corpus.</summary>
    private const int CorpusSize = 7;

    private ReadOnlySequence<byte>[] _whole = [];
    private ReadOnlySequence<byte>[] _straddling = [];
    private RequestHead[] _parsed = [];
    private readonly RequestHead _head = new();
    private readonly ArrayBufferWriter<byte> _output = new(16 * 1024);
    private ImpersonationHeaders _identity = null!;
    private UpstreamHeaders _upstream = null!;

    private static int Requests => KubectlRequests.Heads.Length;

    [GlobalSetup]
    public void Setup()
    {
        if (Requests != CorpusSize)
        {
            throw new InvalidOperationException("CorpusSize is out of date");
        }

        _whole = new ReadOnlySequence<byte>[Requests];
        _straddling = new ReadOnlySequence<byte>[Requests];
        for (int i = 0; i < Requests; i++)
        {
            byte[] bytes = KubectlRequests.Bytes(KubectlRequests.Heads[i]);
            _whole[i] = new ReadOnlySequence<byte>(bytes);
            _straddling[i] = BenchmarkSegment.Split(bytes, bytes.Length / 2);
        }

        if (!ImpersonationHeaders.TryCreate(
                "u-abc12",
                ["local://g-devs", "activedirectory_group://5f8e2c1a-0b7d-4c3e-9a61-2d4f8b7c6e10"],
                [new("principalid", "local://u-abc12"), new("username", "Alice Example"), new("requesttokenid", "token-abcde")],
                out ImpersonationHeaders? identity)
            || !UpstreamHeaders.TryCreate("10.0.0.5:6443", "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Y2F0dGxlLXN5c3RlbTppbXBlcnNvbmF0b3IifQ.c2lnbmF0dXJl", out UpstreamHeaders? upstream))
        {
            throw new InvalidOperationException("benchmark identity is invalid");
        }

        _identity = identity;
        _upstream = upstream;
        _parsed = new RequestHead[Requests];
        for (int i = 0; i < Requests; i++)
        {
            _parsed[i] = new RequestHead();
            if (!RequestHeadParser.TryParse(_whole[i], _parsed[i], out _, out _))
            {
                throw new InvalidOperationException("a corpus request does not parse");
            }
        }

        if (ParseRouteRewrite() != 0 || ParseRouteRewriteStraddlingSegments() != 0)
        {
            throw new InvalidOperationException("a corpus request did not make it through");
        }
    }

    [Benchmark(OperationsPerInvoke = CorpusSize)]
    public int Parse()
    {
        int failures = 0;
        foreach (ReadOnlySequence<byte> request in _whole)
        {
            failures += RequestHeadParser.TryParse(request, _head, out _, out _) ? 0 : 1;
        }

        return failures;
    }

    /// <summary>The rewrite alone, over heads parsed in setup: what the identity and header rules cost.</summary>
    [Benchmark(OperationsPerInvoke = CorpusSize)]
    public int Rewrite()
    {
        int failures = 0;
        for (int i = 0; i < _parsed.Length; i++)
        {
            _output.ResetWrittenCount();
            RequestHead head = _parsed[i];
            bool ok = ClusterRoute.TryParse(head.Target, out ClusterRoute route) == RouteError.None
                && RequestHeadRewriter.TryWrite(head, route, _identity, _upstream, _output, out _) == RewriteError.None;
            failures += ok ? 0 : 1;
        }

        return failures;
    }

    [Benchmark(OperationsPerInvoke = CorpusSize)]
    public int ParseRouteRewrite() => Run(_whole);

    [Benchmark(OperationsPerInvoke = CorpusSize)]
    public int ParseRouteRewriteStraddlingSegments() => Run(_straddling);

    private int Run(ReadOnlySequence<byte>[] requests)
    {
        int failures = 0;
        foreach (ReadOnlySequence<byte> request in requests)
        {
            _output.ResetWrittenCount();
            bool ok = RequestHeadParser.TryParse(request, _head, out _, out _)
                && ClusterRoute.TryParse(_head.Target, out ClusterRoute route) == RouteError.None
                && RequestHeadRewriter.TryWrite(_head, route, _identity, _upstream, _output, out _) == RewriteError.None;
            failures += ok ? 0 : 1;
        }

        return failures;
    }
}
