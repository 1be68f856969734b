using Appliance.Clusters.Tunnel;

namespace Appliance.Clusters.Tests;

/// <summary>
/// A server session and an agent session over one real WebSocket pair. Set the handlers, then <see cref="Start"/>;
/// disposing ends both, bounded.
/// </summary>
internal sealed class TunnelSessionPair : IAsyncDisposable
{
    private TunnelSessionPair(TunnelSession server, TunnelSession agent, TestLogger serverLog, TestLogger agentLog)
    {
        Server = server;
        Agent = agent;
        ServerLog = serverLog;
        AgentLog = agentLog;
    }

    public TunnelSession Server { get; }

    public TunnelSession Agent { get; }

    public TestLogger ServerLog { get; }

    public TestLogger AgentLog { get; }

    public Task<string> ServerRun { get; private set; } = Task.FromResult("not started");

    public Task<string> AgentRun { get; private set; } = Task.FromResult("not started");

    public CancellationTokenSource ServerCancellation { get; } = new();

    public CancellationTokenSource AgentCancellation { get; } = new();

    /// <summary>Small pings by default so that no test waits for the 10 s ones.</summary>
    public static TunnelOptions Options(int maxMessageSize = TunnelOptions.DefaultMaxMessageSize, int window = TunnelOptions.DefaultInitialWindow) => new()
    {
        MaxMessageSize = maxMessageSize,
        InitialWindow = window,
        PingInterval = TimeSpan.FromMilliseconds(200),
        PingTimeout = TimeSpan.FromSeconds(5),
        OpenTimeout = TimeSpan.FromSeconds(5),
        CloseTimeout = TimeSpan.FromSeconds(2),
    };

    public static async Task<TunnelSessionPair> CreateAsync(TunnelOptions? serverOptions = null, TunnelOptions? agentOptions = null)
    {
        TunnelSocketPair sockets = await TunnelSocketPair.CreateAsync();
        var serverLog = new TestLogger();
        var agentLog = new TestLogger();
        var server = new TunnelSession(sockets.Server, isServer: true, serverOptions ?? Options(), serverLog);
        var agent = new TunnelSession(sockets.Client, isServer: false, agentOptions ?? Options(), agentLog);
        return new TunnelSessionPair(server, agent, serverLog, agentLog);
    }

    /// <summary>A started pair whose agent runs <paramref name="agentHandler"/> for each stream the server opens.</summary>
    public static async Task<TunnelSessionPair> StartAsync(Func<TunnelStream, ReadOnlyMemory<byte>, Task>? agentHandler, TunnelOptions? serverOptions = null, TunnelOptions? agentOptions = null)
    {
        TunnelSessionPair pair = await CreateAsync(serverOptions, agentOptions);
        pair.Agent.StreamOpened = agentHandler;
        pair.Start();
        return pair;
    }

    public void Start()
    {
        ServerRun = Server.RunAsync(ServerCancellation.Token);
        AgentRun = Agent.RunAsync(AgentCancellation.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync().AsTask().WaitAsync(TunnelWait.Bound);
        await Agent.DisposeAsync().AsTask().WaitAsync(TunnelWait.Bound);
        await Task.WhenAll(ServerRun, AgentRun).WaitAsync(TunnelWait.Bound);
        ServerCancellation.Dispose();
        AgentCancellation.Dispose();
    }
}
