using System.Globalization;
using System.Text.Json;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// Deletes Token objects whose <c>expiresAt</c> is more than <see cref="Grace"/> in the past, every
/// <see cref="Period"/> (issue 7, "token expiry"). An expired token is refused from its expiry on whether or
/// not it is deleted yet (<see cref="TokenAuthenticator"/> checks <c>expiresAt</c> on every request): this only
/// keeps the store from filling with dead sessions. Each delete is a compare-and-swap on the revision that was
/// read, so a token changed meanwhile is looked at again on the next round rather than deleted unseen.
/// </summary>
public sealed class TokenExpiryCollector(IServiceProvider services, TimeProvider timeProvider, ILogger<TokenExpiryCollector> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long an expired token is kept: for that long its holder is told "expired" (logged as such), not
    /// "unknown", and a server whose clock runs a little behind another's (HA) is not surprised by a deletion.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CollectAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed round must not stop the host; the next one may fare better.
                Log.TokenExpiryFailed(logger, e);
            }

            await Task.Delay(Period, timeProvider, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One round: deletes the Tokens expired more than <see cref="Grace"/> ago; returns how many.</summary>
    internal async Task<int> CollectAsync()
    {
        KeyValueStore store = services.GetRequiredService<KeyValueStore>();
        TokenUsage usage = services.GetRequiredService<TokenAuthenticator>().Usage;
        DateTimeOffset cutoff = timeProvider.GetUtcNow() - Grace;
        int deleted = 0;
        foreach (KeyValue item in store.Range(TokenAuthenticator.TokenKeyPrefix).Items)
        {
            if (ExpiresAt(item.Value) is DateTimeOffset expiry && expiry <= cutoff
                && (await store.DeleteAsync(item.Key, item.ModRevision).ConfigureAwait(false)).IsOk)
            {
                usage.Forget(item.Key[TokenAuthenticator.TokenKeyPrefix.Length..]);
                deleted++;
            }
        }

        if (deleted > 0)
        {
            Log.ExpiredTokensDeleted(logger, deleted);
        }

        return deleted;
    }

    /// <summary>The token's <c>expiresAt</c>; null for a token that never expires or one that cannot be read (left alone).</summary>
    private static DateTimeOffset? ExpiresAt(byte[] token)
    {
        try
        {
            var reader = new Utf8JsonReader(token);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool wanted = reader.ValueTextEquals("expiresAt"u8);
                reader.Read();
                if (wanted)
                {
                    return reader.TokenType == JsonTokenType.String
                        && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset expiry)
                            ? expiry
                            : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
