using System.Net.WebSockets;
using System.Text.Json;
using Appliance.Api;
using Appliance.Clusters.Agents;
using Appliance.Clusters.Tunnel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Clusters.Registration;

/// <summary>
/// The cluster endpoints outside the Kubernetes API. For agents, none behind a user token: <c>/cacerts</c> (the
/// CA an agent checks against its checksum), <c>/v3/import/{token}.yaml</c> (the registration manifest) and
/// <c>/v3/connect</c> (the tunnel), the last two authorised by the registration token. (Users' kubeconfigs,
/// <c>/v3/clusters[/{id}]?action=generateKubeconfig</c>, are the API's: <c>KubeconfigGeneration</c>.)
/// </summary>
public static partial class ClusterEndpoints
{
    public static IEndpointRouteBuilder MapClusterEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/cacerts", static context =>
        {
            context.Response.ContentType = "application/x-pem-file";
            return context.Response.WriteAsync(context.RequestServices.GetRequiredService<ClustersOptions>().CaCertificatePem);
        });
        endpoints.MapGet("/v3/import/{file}", ImportAsync);
        endpoints.MapGet("/v3/connect", ConnectAsync);
        return endpoints;
    }

    private static async Task ImportAsync(HttpContext context)
    {
        IServiceProvider services = context.RequestServices;
        string file = context.Request.RouteValues["file"] as string ?? "";
        if (!file.EndsWith(".yaml", StringComparison.Ordinal))
        {
            await WriteStatusAsync(context, 404, "NotFound", "the registration manifest is /v3/import/{token}.yaml").ConfigureAwait(false);
            return;
        }

        string token = file[..^".yaml".Length];
        RegistrationCheck check = services.GetRequiredService<RegistrationTokens>().Check(token);
        if (!check.IsValid)
        {
            LogManifestRefused(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterEndpoints)), context.Connection.RemoteIpAddress?.ToString(), check.Problem!);
            await WriteStatusAsync(context, 401, "Unauthorized", check.Problem!).ConfigureAwait(false);
            return;
        }

        ServerObjects objects = services.GetRequiredService<ServerObjects>();
        string serverUrl = Setting(objects, "server-url") ?? $"https://{context.Request.Host.Value}";
        string image = Setting(objects, "agent-image") ?? ClustersOptions.DefaultAgentImage;
        string checksum = ImportManifest.CaChecksum(services.GetRequiredService<ClustersOptions>().CaCertificatePem);
        context.Response.ContentType = "application/yaml";
        await context.Response.WriteAsync(ImportManifest.Build(serverUrl.TrimEnd('/'), token, checksum, image)).ConfigureAwait(false);
    }

    private static async Task ConnectAsync(HttpContext context)
    {
        IServiceProvider services = context.RequestServices;
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Appliance.Clusters.Tunnel");
        string? address = context.Connection.RemoteIpAddress?.ToString();
        string authorization = context.Request.Headers.Authorization.ToString();
        string? token = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..].Trim() : null;
        RegistrationCheck check = services.GetRequiredService<RegistrationTokens>().Check(token);
        if (!check.IsValid)
        {
            LogAgentRefused(logger, address, check.Problem!);
            await WriteStatusAsync(context, 401, "Unauthorized", check.Problem!).ConfigureAwait(false);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await WriteStatusAsync(context, 400, "BadRequest", "/v3/connect takes a WebSocket upgrade").ConfigureAwait(false);
            return;
        }

        string clusterId = check.ClusterId!;
        AgentSessions sessions = services.GetRequiredService<AgentSessions>();
        TimeProvider time = services.GetRequiredService<TimeProvider>();
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        await using var session = new TunnelSession(socket, isServer: true, services.GetRequiredService<TunnelOptions>(), logger, time);
        var agent = new AgentConnection(clusterId, session, token!, time.GetUtcNow());
        session.ControlReceived = message => OnControl(sessions, agent, message, logger);
        AgentConnection? replaced = sessions.Attach(agent);
        if (replaced is not null)
        {
            await replaced.Session.DisposeAsync().ConfigureAwait(false);
        }

        LogAgentConnected(logger, clusterId, address);
        string reason = "the server is shutting down";
        try
        {
            reason = await session.RunAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            sessions.Detach(agent, reason);
            LogAgentDisconnected(logger, clusterId, reason);
        }
    }

    private static ValueTask OnControl(AgentSessions sessions, AgentConnection agent, ReadOnlyMemory<byte> message, ILogger logger)
    {
        ControlMessage? control;
        try
        {
            control = JsonSerializer.Deserialize(message.Span, ClustersJsonContext.Default.ControlMessage);
        }
        catch (JsonException)
        {
            control = null;
        }

        if (control is { Kind: ControlMessage.CredentialsKind, ImpersonatorToken.Length: > 0, AgentToken.Length: > 0, ApiAuthority.Length: > 0 })
        {
            sessions.SetCredentials(agent, new AgentCredentials(control.ImpersonatorToken, control.AgentToken, control.ApiAuthority, control.AgentVersion ?? ""));
        }
        else
        {
            LogBadControlMessage(logger, agent.ClusterId);
        }

        return ValueTask.CompletedTask;
    }

    private static string? Setting(ServerObjects objects, string name)
        => objects.Get(ObjectNames.ManagementGroup, "settings", null, name)?["value"]?.GetValue<string>() is { Length: > 0 } value ? value : null;

    private static Task WriteStatusAsync(HttpContext context, int code, string reason, string message)
        => JsonResponses.WriteStatusAsync(context, new ApiStatus { Code = code, Reason = reason, Message = message });

    [LoggerMessage(EventId = 1520, Level = LogLevel.Information, Message = "Cluster {ClusterId}: agent connected from {Address}")]
    private static partial void LogAgentConnected(ILogger logger, string clusterId, string? address);

    [LoggerMessage(EventId = 1521, Level = LogLevel.Warning, Message = "Cluster {ClusterId}: agent disconnected: {Reason}")]
    private static partial void LogAgentDisconnected(ILogger logger, string clusterId, string reason);

    [LoggerMessage(EventId = 1522, Level = LogLevel.Warning, Message = "Agent connection from {Address} refused: {Problem}")]
    private static partial void LogAgentRefused(ILogger logger, string? address, string problem);

    [LoggerMessage(EventId = 1523, Level = LogLevel.Warning, Message = "Registration manifest request from {Address} refused: {Problem}")]
    private static partial void LogManifestRefused(ILogger logger, string? address, string problem);

    [LoggerMessage(EventId = 1524, Level = LogLevel.Warning, Message = "Cluster {ClusterId}: the agent sent a control message that is not valid credentials; ignored")]
    private static partial void LogBadControlMessage(ILogger logger, string clusterId);
}
