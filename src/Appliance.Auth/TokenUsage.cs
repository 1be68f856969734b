using System.Collections.Concurrent;

namespace Appliance.Auth;

/// <summary>
/// When each token was last used, kept in memory so that authenticating never writes to the store (issue 5:
/// "last-used time, written at most once a minute"). <see cref="TokenAuthenticator"/> marks each successful
/// authentication (<see cref="TokenUse.MarkUsed"/>), uses to the second. The proxy's cached answers need no marking
/// of their own: a cache entry lives one second and is filled through the authenticator, which marks the use, so
/// a token used only through the proxy is seen within the second its uses are counted in anyway;
/// a background writer (the API's <c>TokenUsageWriter</c>) calls <see cref="TakeDue"/> and writes each due use into
/// its Token's <c>lastUsedAt</c>, at most once per <see cref="WriteInterval"/> per token. Only tokens in use are held:
/// one idle for <see cref="ForgetAfter"/> with nothing left to write is dropped.
/// </summary>
public sealed class TokenUsage
{
    /// <summary>The most often one token's <c>lastUsedAt</c> is written (Rancher's bound too).</summary>
    public static readonly TimeSpan WriteInterval = TimeSpan.FromMinutes(1);

    /// <summary>An idle token's entry is dropped after this; its next use makes a new one.</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, TokenUse> _uses = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly long _granularity;

    public TokenUsage(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _granularity = clock.TimestampFrequency;
    }

    /// <summary>Tokens with an entry now.</summary>
    public int Count => _uses.Count;

    /// <summary>The entry of <paramref name="tokenName"/> (made on its first use): hold it to mark uses without a lookup.</summary>
    public TokenUse Track(string tokenName)
    {
        ArgumentNullException.ThrowIfNull(tokenName);
        return _uses.TryGetValue(tokenName, out TokenUse? use)
            ? use
            : _uses.GetOrAdd(tokenName, static (_, owner) => new TokenUse(owner._clock, owner._granularity), this);
    }

    /// <summary>Records a use of <paramref name="tokenName"/> now.</summary>
    public void MarkUsed(string tokenName) => Track(tokenName).MarkUsed();

    /// <summary>Drops a token's entry (the token is gone).</summary>
    public void Forget(string tokenName) => _uses.TryRemove(tokenName, out _);

    /// <summary>
    /// The uses to write now, each taken (not returned again until used again): those of tokens used since their
    /// last write, whose last write is <see cref="WriteInterval"/> old or more (any age with <paramref name="all"/>,
    /// for a final flush at shutdown). Drops idle entries on the way.
    /// </summary>
    public List<TokenUseToWrite> TakeDue(bool all = false)
    {
        var due = new List<TokenUseToWrite>();
        long now = _clock.GetTimestamp();
        DateTimeOffset utcNow = _clock.GetUtcNow();
        foreach ((string name, TokenUse use) in _uses)
        {
            if (use.TryTake(now, WriteInterval, all, out long usedAt))
            {
                due.Add(new TokenUseToWrite(name, utcNow - _clock.GetElapsedTime(usedAt, now), use));
            }
            else if (!use.IsPending && _clock.GetElapsedTime(use.LastUsed, now) >= ForgetAfter
                && _uses.TryRemove(new KeyValuePair<string, TokenUse>(name, use)) && use.IsPending)
            {
                // Used between the check and the removal (by a holder of the entry): keep it after all.
                _uses.TryAdd(name, use);
            }
        }

        return due;
    }
}
