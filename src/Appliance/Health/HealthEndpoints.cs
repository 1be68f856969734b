using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Appliance.Health;

/// <summary>
/// Kubernetes-style probes: <c>/livez</c> (the process serves requests), <c>/readyz</c> (every part
/// tagged <see cref="ReadyTag"/> is ready), <c>/healthz</c> (every check). Each answers <c>ok</c>, or
/// 503 with one <c>[-]name failed: reason</c> line per failing check; <c>?verbose</c> lists them all.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Tag a part's health check with this to gate /readyz on it.</summary>
    public const string ReadyTag = "ready";

    public static IHealthChecksBuilder AddApplianceHealth(this IServiceCollection services) =>
        services.AddHealthChecks()
            .AddCheck<ServerLifecycleCheck>("server", tags: [ReadyTag])
            .AddCheck<StoreReadinessCheck>("store", tags: [ReadyTag]);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/livez", Options("livez", _ => false));
        endpoints.MapHealthChecks("/readyz", Options("readyz", check => check.Tags.Contains(ReadyTag)));
        endpoints.MapHealthChecks("/healthz", Options("healthz", _ => true));
        return endpoints;
    }

    private static HealthCheckOptions Options(string name, Func<HealthCheckRegistration, bool> predicate) => new()
    {
        Predicate = predicate,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = (context, report) => WriteAsync(context, report, name),
    };

    private static Task WriteAsync(HttpContext context, HealthReport report, string name)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        bool verbose = context.Request.Query.ContainsKey("verbose");
        if (report.Status != HealthStatus.Unhealthy && !verbose)
        {
            return context.Response.WriteAsync("ok");
        }

        var text = new StringBuilder();
        foreach ((string check, HealthReportEntry entry) in report.Entries)
        {
            text.Append(entry.Status == HealthStatus.Unhealthy ? $"[-]{check} failed: {entry.Description}\n" : $"[+]{check} ok\n");
        }

        text.Append(report.Status == HealthStatus.Unhealthy ? $"{name} check failed\n" : $"{name} check passed\n");
        return context.Response.WriteAsync(text.ToString());
    }
}
