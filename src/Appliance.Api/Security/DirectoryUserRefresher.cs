using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// Keeps directory users in line with the directory between sign-ins (Rancher's user-attribute refresh). Every
/// <see cref="IntervalSetting"/> (a Setting in Go's duration syntax, <c>1h</c> by default, <c>0</c> to stop; a
/// change applies at once) each User holding a principal of a directory provider is handled:
/// <list type="bullet">
/// <item>provider enabled: the user is looked up by its stable id through the service account; its groups, names
/// and DN are updated. Gone from the directory, or no longer admitted by the access mode, it has its groups
/// emptied and is disabled, which revokes its tokens at once (a removed employee's 30-day kubeconfig stops
/// working within an interval). Such a user is marked (<see cref="UserAccounts.DisabledByDirectoryAnnotation"/>)
/// and enabled again when the directory admits it again; a user an administrator disabled stays disabled.</item>
/// <item>provider disabled or not configured: its users are disabled the same way, as Rancher ends their sessions.</item>
/// <item>provider misconfigured, or its directory not answering: nothing changes; it is logged.</item>
/// </list>
/// GitHub users' orgs and teams are refreshed in the same pass (<see cref="GitHubUserRefresher"/>).
/// </summary>
public sealed class DirectoryUserRefresher(IServiceProvider services, TimeProvider timeProvider, ILogger<DirectoryUserRefresher> logger) : BackgroundService
{
    public const string IntervalSetting = "auth-user-info-resync-interval";

    public static readonly TimeSpan DefaultInterval = TimeSpan.FromHours(1);

    /// <summary>Shorter would have the server query the directory for every user all the time.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);

    /// <summary>Longer than a timer can wait in one go; nobody needs a refresh rarer than monthly.</summary>
    public static readonly TimeSpan MaximumInterval = TimeSpan.FromDays(30);

    private static readonly string[] Providers = [DirectoryAuthConfig.OpenLdap, DirectoryAuthConfig.ActiveDirectory];

    private static string SettingsPrefix => "/registry/" + ResourceRegistry.ManagementGroup + "/settings/";

    private static string SettingKey => SettingsPrefix + IntervalSetting;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        KeyValueStore store = services.GetRequiredService<KeyValueStore>();
        DateTimeOffset last = timeProvider.GetUtcNow();
        StoreWatcher? watcher = null;
        Task<bool>? settingChanged = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (watcher is null)
                {
                    // Watched, so a changed interval applies now rather than when the old one ends. A watch takes a
                    // prefix (a key is refused, and the refused watch ended at once, over and over: a busy loop), so
                    // all settings: another one's change only reads this one again.
                    watcher = store.Watch(SettingsPrefix, store.CurrentRevision);
                    settingChanged = watcher.WaitToReadAsync(stoppingToken).AsTask();
                }

                TimeSpan? interval = ReadInterval(store);
                TimeSpan since = timeProvider.GetUtcNow() - last;
                if (interval is TimeSpan due && since >= due)
                {
                    try
                    {
                        await RefreshAsync(stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // A failed pass must not stop the host (a background service's exception does); the next one may fare better.
                        Log.DirectoryRefreshFailed(logger, e);
                    }

                    last = timeProvider.GetUtcNow();
                    continue;
                }

                using (var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    Task delay = Task.Delay(interval is TimeSpan wait ? wait - since : Timeout.InfiniteTimeSpan, timeProvider, delayCancellation.Token);
                    await Task.WhenAny(delay, settingChanged!).ConfigureAwait(false);
                    await delayCancellation.CancelAsync().ConfigureAwait(false);
                }

                stoppingToken.ThrowIfCancellationRequested();
                if (settingChanged!.IsCompleted)
                {
                    if (await settingChanged.ConfigureAwait(false))
                    {
                        while (watcher.TryRead(out _))
                        {
                        }

                        settingChanged = watcher.WaitToReadAsync(stoppingToken).AsTask();
                    }
                    else if (watcher.Status == StoreStatus.Closed)
                    {
                        return;
                    }
                    else
                    {
                        // Lagged or compacted: a new watch; the setting is read again before any wait.
                        watcher.Dispose();
                        watcher = null;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            watcher?.Dispose();
        }
    }

    /// <summary>The interval the Setting asks for; null when refreshing is off. A value that does not parse is logged and the default used.</summary>
    private TimeSpan? ReadInterval(KeyValueStore store)
    {
        GetResult setting = store.Get(SettingKey);
        string? value = setting.Item is null ? null : FieldRules.Text(JsonNode.Parse(setting.Item.Value)?["value"]);
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultInterval;
        }

        if (!TryParseDuration(value, out TimeSpan interval) || (interval != TimeSpan.Zero && (interval < MinimumInterval || interval > MaximumInterval)))
        {
            Log.ResyncIntervalInvalid(logger, IntervalSetting, value, DefaultInterval.ToString());
            return DefaultInterval;
        }

        return interval == TimeSpan.Zero ? null : interval;
    }

    /// <summary>Go's duration syntax, as Kubernetes settings use it: <c>1h</c>, <c>1h30m</c>, <c>90s</c>, <c>1.5h</c>, <c>500ms</c>, <c>0</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(text);
        duration = TimeSpan.Zero;
        if (text == "0")
        {
            return true;
        }

        int i = 0;
        double milliseconds = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (!double.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            {
                return false;
            }

            int unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            double? scale = text.AsSpan(unitStart, i - unitStart) switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => null,
            };
            if (scale is not double factor)
            {
                return false;
            }

            milliseconds += number * factor;
        }

        if (text.Length == 0 || milliseconds > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    /// <summary>One pass over every provider and its users.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        DirectoryProviders providers = services.GetRequiredService<DirectoryProviders>();
        UserAccounts users = services.GetRequiredService<UserAccounts>();
        foreach (string name in Providers)
        {
            PrincipalKind kind = DirectoryAuthConfig.UserKind(name);
            List<(JsonObject User, PrincipalId Principal)> members = [];
            foreach (JsonObject user in users.All())
            {
                if (UserAccounts.PrincipalOf(user, kind) is PrincipalId principal)
                {
                    members.Add((user, principal));
                }
            }

            if (members.Count == 0)
            {
                continue;
            }

            DirectoryProvider? provider = providers.Find(name, out string? problem);
            if (problem is not null)
            {
                Log.DirectoryMisconfigured(logger, name, problem);
                continue;
            }

            var (updated, disabled) = provider is null
                ? (0, await DisableAllAsync(name, users, members).ConfigureAwait(false))
                : await RefreshProviderAsync(provider, users, members, cancellationToken).ConfigureAwait(false);
            Log.DirectoryRefreshed(logger, name, members.Count, updated, disabled);
        }

        await services.GetRequiredService<GitHubUserRefresher>().RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<(int Updated, int Disabled)> RefreshProviderAsync(DirectoryProvider provider, UserAccounts users, List<(JsonObject User, PrincipalId Principal)> members, CancellationToken cancellationToken)
    {
        RbacCache rbac = services.GetRequiredService<RbacCache>();
        KeyValueStore store = services.GetRequiredService<KeyValueStore>();
        int updated = 0;
        int disabled = 0;
        foreach ((JsonObject user, PrincipalId principal) in members)
        {
            LdapLoginResult result = await provider.Authenticator.LookupAsync(principal, cancellationToken).ConfigureAwait(false);
            if (result.User is null && DirectoryLogin.Unanswered(result.Status) is string unanswered)
            {
                // Not an answer about this user: the rest would fare no better, and nobody loses access to an outage.
                Log.DirectoryRefreshSkipped(logger, provider.Name, unanswered);
                break;
            }

            string userId = FieldRules.Text(user["metadata"]?["name"])!;
            try
            {
                string? refusal = result.User is { } found
                    ? AccessMode.Refusal(provider.Config, principal, found.Groups.Select(group => group.Principal.ToString()).ToHashSet(StringComparer.Ordinal), userId, rbac.Snapshot, store)
                    : result.Status == LdapLoginStatus.UserNotFound
                        ? $"{principal} is no longer in the directory"
                        : $"the directory refuses {principal} ({result.Status})";
                if (refusal is not null)
                {
                    disabled += await DisableAsync(users, user, refusal).ConfigureAwait(false);
                    continue;
                }

                JsonObject synced = await users.SyncAsync(result.User!, user).ConfigureAwait(false);
                if (!ReferenceEquals(synced, user))
                {
                    updated++;
                }
            }
            catch (ApiException e)
            {
                // Deleted or changed by someone else meanwhile: the next pass sees it as it is then.
                Log.DirectoryUserRefreshFailed(logger, provider.Name, userId, e.Status.Message ?? e.Message);
            }
        }

        return (updated, disabled);
    }

    private async Task<int> DisableAllAsync(string provider, UserAccounts users, List<(JsonObject User, PrincipalId Principal)> members)
    {
        string reason = $"the {provider} provider is not enabled";
        int disabled = 0;
        foreach ((JsonObject user, _) in members)
        {
            try
            {
                disabled += await DisableAsync(users, user, reason).ConfigureAwait(false);
            }
            catch (ApiException e)
            {
                Log.DirectoryUserRefreshFailed(logger, provider, FieldRules.Text(user["metadata"]?["name"]) ?? "", e.Status.Message ?? e.Message);
            }
        }

        return disabled;
    }

    /// <summary>1 when the user was enabled and is now disabled.</summary>
    private async Task<int> DisableAsync(UserAccounts users, JsonObject user, string reason)
    {
        bool wasEnabled = !UserAccounts.IsDisabled(user);
        await users.DisableAsync(user, reason).ConfigureAwait(false);
        if (wasEnabled)
        {
            Log.DirectoryUserDisabled(logger, FieldRules.Text(user["metadata"]?["name"]) ?? "", reason);
            return 1;
        }

        return 0;
    }
}
