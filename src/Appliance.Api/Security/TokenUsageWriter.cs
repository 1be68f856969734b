using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// Writes the tokens' last uses into their Token objects' <c>lastUsedAt</c> (RFC 3339, to the second, as Rancher's
/// field), off the request path: requests only mark a use in memory (<see cref="TokenUsage"/>); every
/// <see cref="Period"/> this takes the uses that are due, so each token is written at most once per
/// <see cref="TokenUsage.WriteInterval"/> (a minute), and once more at shutdown for uses not yet written.
/// A token deleted meanwhile is forgotten; a failed write is tried again on the next round.
/// </summary>
public sealed class TokenUsageWriter(IServiceProvider services, TimeProvider timeProvider, ILogger<TokenUsageWriter> logger) : BackgroundService
{
    /// <summary>How often due uses are looked for: a first use shows within this, later ones within a minute.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    public const string LastUsedAtField = "lastUsedAt";

    // Bounds the final flush, which runs while the host stops.
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(Period, timeProvider, stoppingToken).ConfigureAwait(false);
            await WriteDueAsync(all: false, stoppingToken).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(FlushTimeout);
        await WriteDueAsync(all: true, bound.Token).ConfigureAwait(false);
    }

    /// <summary>One round: writes every due use (every pending one with <paramref name="all"/>); returns how many Tokens were written.</summary>
    internal async Task<int> WriteDueAsync(bool all, CancellationToken cancellationToken)
    {
        TokenUsage usage = services.GetRequiredService<TokenAuthenticator>().Usage;
        ResourceEngine engine = services.GetRequiredService<ResourceEngine>();
        ResourceDefinition tokens = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "tokens")!;
        int written = 0;
        foreach (TokenUseToWrite use in usage.TakeDue(all))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                use.Retry();
                continue;
            }

            try
            {
                if (await WriteAsync(engine, tokens, use).ConfigureAwait(false))
                {
                    written++;
                }
            }
            catch (ApiException e) when (e.Status.Reason == "NotFound")
            {
                usage.Forget(use.TokenName);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                use.Retry();
                Log.TokenUseWriteFailed(logger, use.TokenName, e);
            }
        }

        return written;
    }

    /// <summary>Sets <c>lastUsedAt</c> unless the Token already holds that time or a later one; true when it wrote.</summary>
    private static async Task<bool> WriteAsync(ResourceEngine engine, ResourceDefinition tokens, TokenUseToWrite use)
    {
        DateTimeOffset usedAt = DateTimeOffset.FromUnixTimeSeconds(use.UsedAt.ToUnixTimeSeconds());
        JsonObject? current = engine.Find(tokens, null, use.TokenName)
            ?? throw new ApiException(ApiErrors.NotFound(ResourceRegistry.ManagementGroup, "tokens", use.TokenName));
        if (!IsEarlier(current, usedAt))
        {
            return false;
        }

        bool changed = false;
        await engine.ReplaceAsync(tokens, null, use.TokenName, stored =>
        {
            // Read again inside the compare-and-swap: never move the time backwards.
            changed = IsEarlier(stored, usedAt);
            if (changed)
            {
                stored[LastUsedAtField] = usedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            }

            return stored;
        }).ConfigureAwait(false);
        return changed;
    }

    private static bool IsEarlier(JsonObject token, DateTimeOffset usedAt)
        => FieldRules.Text(token[LastUsedAtField]) is not string stored
           || !DateTimeOffset.TryParse(stored, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset previous)
           || previous < usedAt;
}
