using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Appliance.Clusters.Agents;
using Appliance.Clusters.Registration;
using Appliance.Clusters.Tunnel;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Appliance.Clusters.Agent;

/// <summary>
/// <c>appliance agent</c>: holds the cluster's tunnel to the server and serves the streams the server opens in
/// it by connecting them to the local kube-apiserver. Reconnects forever, with exponential backoff and
/// jitter, and logs why each attempt failed. Keeps short-lived tokens of the impersonator and agent service
/// accounts (TokenRequest) and reports them to the server before they expire.
/// </summary>
public sealed partial class AgentRunner(AgentOptions options, TunnelOptions tunnelOptions, ILogger logger, TimeProvider time)
{
    /// <summary>A session that lasted this long was healthy: the next reconnect starts from the shortest delay again.</summary>
    private static readonly TimeSpan HealthySession = TimeSpan.FromSeconds(30);

    private readonly string _version = typeof(AgentRunner).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Runs until <paramref name="cancellationToken"/>; throws <see cref="AgentConfigurationException"/> for what retrying cannot fix.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        DownstreamApi api = DownstreamApi.Load(options.KubeconfigPath);
        X509Certificate2? serverCa = options.CaChecksum is null ? null : await FetchServerCaAsync(cancellationToken).ConfigureAwait(false);
        TimeSpan delay = options.MinReconnectDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            long started = time.GetTimestamp();
            string reason;
            try
            {
                reason = await RunSessionAsync(api, serverCa, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not (AgentConfigurationException or OutOfMemoryException))
            {
                // Whatever broke this attempt, the agent tries again: one that silently stops reconnecting strands its cluster.
                reason = Describe(e);
            }

            if (time.GetElapsedTime(started) >= HealthySession)
            {
                delay = options.MinReconnectDelay;
            }

            TimeSpan wait = Jitter(delay);
            LogReconnecting(logger, reason, wait.TotalSeconds);
            try
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxReconnectDelay.Ticks));
        }
    }

    /// <summary>One tunnel, from the WebSocket handshake to its end; returns why it ended.</summary>
    private async Task<string> RunSessionAsync(DownstreamApi api, X509Certificate2? serverCa, CancellationToken cancellationToken)
    {
        // Tokens first: a server that sees an agent without them cannot use the tunnel anyway.
        using Kubernetes client = api.CreateClient();
        ControlMessage credentials = await IssueCredentialsAsync(client, api, cancellationToken).ConfigureAwait(false);

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + options.Token);
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = Timeout.InfiniteTimeSpan; // The tunnel pings itself and measures the round trip.
        if (serverCa is not null)
        {
            socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => IsSignedBy(certificate, serverCa);
        }

        Uri connect = new(options.Server, "/v3/connect");
        connect = new UriBuilder(connect) { Scheme = connect.Scheme == Uri.UriSchemeHttp ? "ws" : "wss" }.Uri;
        try
        {
            await socket.ConnectAsync(connect, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException) when (socket.HttpStatusCode == HttpStatusCode.Unauthorized)
        {
            throw new AuthenticationFailure("the server refused the registration token (wrong, expired or revoked; the server's log says which)");
        }

        await using var session = new TunnelSession(socket, isServer: false, tunnelOptions, logger, time);
        session.StreamOpened = (stream, target) => ServeStreamAsync(api, stream, target, cancellationToken);
        using var sessionEnd = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            return await RunUntilEndAsync(api, session, credentials, sessionEnd.Token, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Ends the renewal timer with the session, so reconnects leave no timers behind.
            await sessionEnd.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task<string> RunUntilEndAsync(DownstreamApi api, TunnelSession session, ControlMessage credentials, CancellationToken sessionEnd, CancellationToken cancellationToken)
    {
        Task<string> running = session.RunAsync(sessionEnd);
        await session.SendControlAsync(JsonSerializer.SerializeToUtf8Bytes(credentials, ClustersJsonContext.Default.ControlMessage), cancellationToken).ConfigureAwait(false);
        LogConnected(logger, options.Server.ToString());

        // Renew the tokens at two thirds of their lifetime, for as long as the session lasts.
        while (true)
        {
            Task renew = Task.Delay(options.TokenLifetime * 2 / 3, time, sessionEnd);
            if (await Task.WhenAny(running, renew).ConfigureAwait(false) == running)
            {
                return await running.ConfigureAwait(false);
            }

            try
            {
                using Kubernetes renewing = api.CreateClient();
                credentials = await IssueCredentialsAsync(renewing, api, cancellationToken).ConfigureAwait(false);
                await session.SendControlAsync(JsonSerializer.SerializeToUtf8Bytes(credentials, ClustersJsonContext.Default.ControlMessage), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or k8s.Autorest.HttpOperationException)
            {
                LogRenewFailed(logger, Describe(e));
            }
        }
    }

    private async Task<ControlMessage> IssueCredentialsAsync(Kubernetes client, DownstreamApi api, CancellationToken cancellationToken)
    {
        string impersonator = await IssueTokenAsync(client, ObjectNames.ImpersonatorServiceAccount, cancellationToken).ConfigureAwait(false);
        string agent = await IssueTokenAsync(client, ObjectNames.AgentServiceAccount, cancellationToken).ConfigureAwait(false);
        return new ControlMessage
        {
            Kind = ControlMessage.CredentialsKind,
            ImpersonatorToken = impersonator,
            AgentToken = agent,
            ApiAuthority = api.Endpoint.Authority,
            AgentVersion = _version,
        };
    }

    private async Task<string> IssueTokenAsync(Kubernetes client, string serviceAccount, CancellationToken cancellationToken)
    {
        var request = new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = (long)options.TokenLifetime.TotalSeconds } };
        Authenticationv1TokenRequest issued = await client.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, serviceAccount, ObjectNames.SystemNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        return issued.Status?.Token is { Length: > 0 } token
            ? token
            : throw new IOException($"the cluster issued no token for service account {ObjectNames.SystemNamespace}/{serviceAccount}");
    }

    /// <summary>One proxied connection: the stream in the tunnel joined to a new TLS connection to the kube-apiserver.</summary>
    private async Task ServeStreamAsync(DownstreamApi api, TunnelStream stream, ReadOnlyMemory<byte> target, CancellationToken cancellationToken)
    {
        await using TunnelStream tunnel = stream;
        if (!target.Span.SequenceEqual(TunnelDialer.ApiTarget.Span))
        {
            await tunnel.RejectAsync("unknown stream target").ConfigureAwait(false);
            return;
        }

        Stream connection;
        try
        {
            connection = await api.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
        {
            LogApiUnreachable(logger, api.Endpoint.Authority, e.Message);
            await tunnel.RejectAsync("the kube-apiserver cannot be reached: " + e.Message).ConfigureAwait(false);
            return;
        }

        await using (connection.ConfigureAwait(false))
        {
            await tunnel.AcceptAsync().ConfigureAwait(false);
            Task upstream = CopyThenCloseAsync(tunnel, connection, static destination => ((SslStream)destination).ShutdownAsync());
            Task downstream = CopyThenCloseAsync(connection, tunnel, static destination => ((TunnelStream)destination).ShutdownWriteAsync().AsTask());
            await Task.WhenAll(upstream, downstream).ConfigureAwait(false);
        }
    }

    /// <summary>Copies until <paramref name="source"/> ends, then ends the sending side of <paramref name="destination"/> (exec's half-close).</summary>
    private static async Task CopyThenCloseAsync(Stream source, Stream destination, Func<Stream, Task> closeSending)
    {
        try
        {
            await source.CopyToAsync(destination, 16 * 1024).ConfigureAwait(false);
            await closeSending(destination).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // One side ended abruptly; disposing both (the caller) ends the other direction too.
            await source.DisposeAsync().ConfigureAwait(false);
            await destination.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Gets the server's CA over an unverified connection and accepts it only if its checksum is the expected one.</summary>
    private async Task<X509Certificate2> FetchServerCaAsync(CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true } };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        TimeSpan delay = options.MinReconnectDelay;
        while (true)
        {
            try
            {
                string pem = await http.GetStringAsync(new Uri(options.Server, "/cacerts"), cancellationToken).ConfigureAwait(false);
                string checksum = ImportManifest.CaChecksum(pem);
                if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(checksum), Encoding.ASCII.GetBytes(options.CaChecksum!.Trim().ToLowerInvariant())))
                {
                    throw new AgentConfigurationException($"the server's CA checksum is {checksum}, not the {options.CaChecksum} given with --ca-checksum: refusing to connect");
                }

                return X509Certificate2.CreateFromPem(pem);
            }
            catch (HttpRequestException e)
            {
                TimeSpan wait = Jitter(delay);
                LogReconnecting(logger, "cannot fetch the server's CA: " + e.Message, wait.TotalSeconds);
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxReconnectDelay.Ticks));
            }
        }
    }

    private static bool IsSignedBy(X509Certificate? presented, X509Certificate2 ca)
    {
        if (presented is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        using var certificate = new X509Certificate2(presented);
        return chain.Build(certificate);
    }

    /// <summary>±20 %, so agents restarted together do not reconnect in lockstep.</summary>
    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.8 + Random.Shared.NextDouble() * 0.4);

    private static string Describe(Exception e) => e switch
    {
        k8s.Autorest.HttpOperationException http => $"the cluster's API answered {(int)http.Response.StatusCode} to a token request: {http.Response.Content}",
        _ => e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message,
    };

    /// <summary>The server refused the agent's credential.</summary>
    private sealed class AuthenticationFailure(string message) : Exception(message);

    [LoggerMessage(EventId = 1540, Level = LogLevel.Information, Message = "Connected to {Server}")]
    private static partial void LogConnected(ILogger logger, string server);

    [LoggerMessage(EventId = 1541, Level = LogLevel.Warning, Message = "Tunnel down: {Reason}; reconnecting in {Seconds:F1} s")]
    private static partial void LogReconnecting(ILogger logger, string reason, double seconds);

    [LoggerMessage(EventId = 1542, Level = LogLevel.Warning, Message = "Could not renew the service-account tokens: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1543, Level = LogLevel.Warning, Message = "The kube-apiserver at {Endpoint} cannot be reached: {Reason}")]
    private static partial void LogApiUnreachable(ILogger logger, string endpoint, string reason);
}

/// <summary>A mistake in the agent's configuration that reconnecting cannot fix (the process exits with one line).</summary>
public sealed class AgentConfigurationException(string message) : Exception(message);
