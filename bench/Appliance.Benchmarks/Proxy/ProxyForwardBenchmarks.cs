using System.Text;
using Appliance.Proxy;
using Appliance.Proxy.Testing;
using BenchmarkDotNet.Attributes;

namespace Appliance.Benchmarks.Proxy;

/// <summary>
/// The whole per-request hot path of the proxy: parse, cached auth, route, rewrite, forward to a pooled
/// upstream connection, parse the response head, relay a ~500-byte JSON body, audit. One operation is one
/// kubectl request on a keep-alive connection; the budget is 0 B allocated per operation (STYLE.md 6).
/// </summary>
[MemoryDiagnoser]
public class ProxyForwardBenchmarks
{
    private const int RequestsPerInvoke = 64;

    private const string Token = "token-abcde:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmwqr4tc8zn6x2k";

    private const string Json =
        "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"123456\"},\"items\":[{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"default\"," +
        "\"uid\":\"6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b\",\"resourceVersion\":\"123450\",\"creationTimestamp\":\"2026-11-24T10:00:00Z\",\"labels\":{\"app\":\"web\"}}," +
        "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.27\"}],\"nodeName\":\"node-1\"},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.42.0.15\"," +
        "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"containerStatuses\":[{\"name\":\"web\",\"ready\":true,\"restartCount\":0}]}}]}";

    private InMemoryProxyConnection _connection = null!;
    private byte[] _request = [];
    private long _expectedLength;

    [GlobalSetup]
    public void Setup()
    {
        if (!ProxyCaller.TryCreate("u-abc12", "Alice Example", "local://u-abc12", "token-abcde",
                ["local://g-devs", "activedirectory_group://5f8e2c1a-0b7d-4c3e-9a61-2d4f8b7c6e10"], out ProxyCaller? caller))
        {
            throw new InvalidOperationException("benchmark identity is invalid");
        }

        byte[] response = Encoding.ASCII.GetBytes(
            "HTTP/1.1 200 OK\r\nAudit-Id: 5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b\r\nCache-Control: no-cache, private\r\n" +
            $"Content-Type: application/json\r\nX-Kubernetes-Pf-Flowschema-Uid: 1\r\nContent-Length: {Json.Length}\r\n\r\n{Json}");
        var clusters = new ClusterDirectory();
        clusters.Set(new ClusterUpstream("c-m-abc12", new InMemoryDialer(response), "10.0.0.5:6443",
            "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Y2F0dGxlLXN5c3RlbTppbXBlcnNvbmF0b3IifQ.c2lnbmF0dXJl"));
        var server = new ProxyServer(new ProxyOptions(), new StaticAuthenticator(Encoding.ASCII.GetBytes(Token), caller), clusters, new NullAuditSink());
        _connection = new InMemoryProxyConnection(server);
        _request = Encoding.ASCII.GetBytes(KubectlRequests.Heads[1]); // kubectl get pods
        _expectedLength = _connection.Forward(_request);
        if (_expectedLength <= Json.Length)
        {
            throw new InvalidOperationException("the request did not make it through the proxy inline");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _connection.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = RequestsPerInvoke)]
    public long ForwardGetWith500ByteJsonResponse()
    {
        long total = 0;
        for (int i = 0; i < RequestsPerInvoke; i++)
        {
            total += _connection.Forward(_request);
        }

        if (total != _expectedLength * RequestsPerInvoke)
        {
            throw new InvalidOperationException("a request did not complete");
        }

        return total;
    }
}
