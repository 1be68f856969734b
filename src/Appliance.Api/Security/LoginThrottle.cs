using System.Collections.Concurrent;

namespace Appliance.Api.Security;

/// <summary>
/// Brute-force brake on logins: per username and per client address, after <see cref="FreeFailures"/>
/// failures in a row each further failure doubles a lock-out (1 s, 2 s, 4 s, ... up to 15 min) during which
/// every attempt, right or wrong, is refused with 429 and Retry-After. A success clears both counts, and a
/// streak ends after <see cref="MaxLockout"/> without failures. Bounded: past <see cref="MaxTracked"/> keys
/// the state is dropped wholesale.
/// </summary>
public sealed class LoginThrottle(TimeProvider timeProvider)
{
    public const int FreeFailures = 5;
    public const int MaxTracked = 100_000;

    public static readonly TimeSpan MaxLockout = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    /// <summary>How long the caller must wait before trying again; zero when it may try now.</summary>
    public TimeSpan RetryAfter(string? username, string? address)
    {
        DateTimeOffset now = timeProvider.GetUtcNow();
        TimeSpan wait = TimeSpan.Zero;
        foreach (string key in Keys(username, address))
        {
            if (_states.TryGetValue(key, out State? state) && state.LockedUntil > now && state.LockedUntil - now > wait)
            {
                wait = state.LockedUntil - now;
            }
        }

        return wait;
    }

    public void Failed(string? username, string? address)
    {
        if (_states.Count >= MaxTracked)
        {
            _states.Clear();
        }

        DateTimeOffset now = timeProvider.GetUtcNow();
        foreach (string key in Keys(username, address))
        {
            _states.AddOrUpdate(key, static (_, now) => new State(1, now, now), static (_, state, now) =>
            {
                int failures = now - state.LastFailure > MaxLockout ? 1 : state.Failures + 1;
                return new State(failures, failures <= FreeFailures ? now : now + Lockout(failures), now);
            }, now);
        }
    }

    public void Succeeded(string? username, string? address)
    {
        foreach (string key in Keys(username, address))
        {
            _states.TryRemove(key, out _);
        }
    }

    private static TimeSpan Lockout(int failures)
    {
        int doublings = Math.Min(failures - FreeFailures - 1, 20);
        TimeSpan lockout = TimeSpan.FromSeconds(1 << doublings);
        return lockout > MaxLockout ? MaxLockout : lockout;
    }

    private static string UserKey(string username) => "user:" + username.ToLowerInvariant();

    /// <summary>A null <paramref name="username"/> (a login that names nobody, such as GitHub's code) keys the address alone.</summary>
    private static IEnumerable<string> Keys(string? username, string? address)
    {
        if (username is not null)
        {
            yield return UserKey(username);
        }

        if (address is not null)
        {
            yield return "address:" + address;
        }
    }

    private sealed record State(int Failures, DateTimeOffset LockedUntil, DateTimeOffset LastFailure);
}
