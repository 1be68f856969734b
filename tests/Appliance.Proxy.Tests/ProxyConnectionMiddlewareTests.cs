using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace Appliance.Proxy.Tests;

/// <summary>The peek on in-memory pipes, where the first request line can be made to arrive in pieces for sure.</summary>
public class ProxyConnectionMiddlewareTests
{
    private static readonly PipeOptions Inline = new(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(12)]
    [InlineData(20)]
    public async Task ProxyRequest_InPieces_IsServedByTheProxy(int firstPiece)
    {
        byte[] request = ForwardingAllocationTests.Request;
        var (connection, clientToServer, serverToClient) = CreateConnection();
        bool passedOn = false;
        await using var server = new ProxyServer(new ProxyOptions { AuditQueueCapacity = 16 }, new NoCallerAuthenticator(), new ClusterDirectory(), new NullSink());
        var middleware = new ProxyConnectionMiddleware(_ => { passedOn = true; return Task.CompletedTask; }, server);

        Task running = middleware.OnConnectedAsync(connection);
        await clientToServer.Writer.WriteAsync(request.AsMemory(0, firstPiece));
        Assert.False(running.IsCompleted);
        await clientToServer.Writer.WriteAsync(request.AsMemory(firstPiece));

        // The proxy answered (401: this authenticator knows nobody) and closed.
        await clientToServer.Writer.CompleteAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(passedOn);
        Assert.StartsWith("HTTP/1.1 401", await ReadAllAsync(serverToClient), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET /k8")]
    [InlineData("GET")]
    [InlineData("G")]
    public async Task OtherRequest_InPieces_ReachesTheNextMiddlewareWhole(string firstPiece)
    {
        byte[] request = Encoding.ASCII.GetBytes("GET /k8s HTTP/1.1\r\nHost: x\r\n\r\n");
        var (connection, clientToServer, _) = CreateConnection();
        string? seen = null;
        await using var server = new ProxyServer(new ProxyOptions { AuditQueueCapacity = 16 }, new NoCallerAuthenticator(), new ClusterDirectory(), new NullSink());
        var middleware = new ProxyConnectionMiddleware(async context =>
        {
            // Like Kestrel: read until the head is complete, examining everything each time.
            while (true)
            {
                ReadResult result = await context.Transport.Input.ReadAsync();
                string text = Encoding.ASCII.GetString(result.Buffer);
                if (text.EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    seen = text;
                    context.Transport.Input.AdvanceTo(result.Buffer.End);
                    return;
                }

                context.Transport.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }, server);

        Task running = middleware.OnConnectedAsync(connection);
        await clientToServer.Writer.WriteAsync(Encoding.ASCII.GetBytes(firstPiece));
        await clientToServer.Writer.WriteAsync(request.AsMemory(firstPiece.Length));
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("GET /k8s HTTP/1.1\r\nHost: x\r\n\r\n", seen);
    }

    private static (ConnectionContext Connection, Pipe ClientToServer, Pipe ServerToClient) CreateConnection()
    {
        var clientToServer = new Pipe(Inline);
        var serverToClient = new Pipe(Inline);
        var connection = new DefaultConnectionContext("test", new DuplexPipe(clientToServer.Reader, serverToClient.Writer), new DuplexPipe(serverToClient.Reader, clientToServer.Writer));
        return (connection, clientToServer, serverToClient);
    }

    private static async Task<string> ReadAllAsync(Pipe pipe)
    {
        await pipe.Writer.CompleteAsync();
        var text = new StringBuilder();
        while (true)
        {
            ReadResult result = await pipe.Reader.ReadAsync();
            text.Append(Encoding.Latin1.GetString(result.Buffer));
            pipe.Reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return text.ToString();
            }
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class NoCallerAuthenticator : IProxyAuthenticator
    {
        public ValueTask<ProxyAuthResult> AuthenticateAsync(ProxyCredentialScheme scheme, ReadOnlyMemory<byte> credential, ReadOnlyMemory<byte> clusterId, CancellationToken cancellationToken) =>
            new(ProxyAuthResult.Unauthenticated);
    }

    private sealed class NullSink : IProxyAuditSink
    {
        public void Write(ReadOnlySpan<byte> line)
        {
        }
    }
}
