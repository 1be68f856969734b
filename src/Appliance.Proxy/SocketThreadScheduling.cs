using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Appliance.Proxy;

/// <summary>
/// How the process schedules socket work: the proxy's code runs on the socket threads that saw the bytes
/// arrive, with no hop to the thread pool and back; the API's requests leave those threads first.
/// </summary>
/// <remarks>
/// A proxied request is a few microseconds of work between four socket operations (client read, upstream
/// write, upstream read, client write); a thread-pool hop after each costs more than the work. The proxy never
/// blocks, so it may run inline (bench/proxy-load.sh on 2 cores, measured before this became the default: ~26k -> ~40k req/s). The API
/// may (a login's PBKDF2 is 150 ms of CPU, a large list a few ms), and on a socket thread that would stall every
/// connection sharing it, so <see cref="LeaveSocketThread"/> starts each of its requests on the pool. Code that
/// reads a socket synchronously must not run there at all: the thread it waits on may be its own. The
/// product and the load benchmark call the same <see cref="UseInlineSocketScheduling"/>, so the benchmark
/// measures what ships.
/// </remarks>
public static class SocketThreadScheduling
{
    /// <summary>
    /// Call before the first socket operation of the process: the runtime reads
    /// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> once, when its socket engine starts.
    /// </summary>
    public static IWebHostBuilder UseInlineSocketScheduling(this IWebHostBuilder webHost)
    {
        ArgumentNullException.ThrowIfNull(webHost);
        UseInlineSocketCompletions();
        return webHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
    }

    /// <summary>
    /// Socket continuations run on the socket threads, for a process without Kestrel (the agent's relay:
    /// bench/tunnel-load.sh, 59 -> 45 µs of agent CPU per GET). Call before the first socket operation. Nothing
    /// may then wait synchronously for socket data: KubernetesClient does, so its clients read responses whole
    /// first (Appliance.Clusters' BufferedResponseHandler).
    /// </summary>
    public static void UseInlineSocketCompletions() =>
        Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

    /// <summary>The first middleware of the HTTP pipeline: the request goes on on a thread-pool thread.</summary>
    public static IApplicationBuilder LeaveSocketThread(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use(static async (HttpContext context, RequestDelegate next) =>
        {
            if (!Thread.CurrentThread.IsThreadPoolThread)
            {
                // With no synchronization context, the continuation is queued to the thread pool.
                await Task.Yield();
            }

            await next(context).ConfigureAwait(false);
        });
    }
}
