using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Appliance.Auth;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Api.Security;

/// <summary>
/// One JSON line per API request (DESIGN.md, "Defaults"): time, the user served as, who impersonated them,
/// verb, path (no query string), status, duration; and one per login attempt, whatever the provider
/// (<c>"event":"login"</c>, provider, username as typed, client address, outcome, the user id on success).
/// Requests only enqueue; a background task appends to <see cref="ApiOptions.AuditLogPath"/> (an <see cref="AuditFile"/>: 0600, rotated by size), and a
/// full queue drops lines (counted) rather than slow requests. Never a token or a password: credentials
/// live in headers and bodies, which are not written.
/// </summary>
public sealed partial class ApiAuditLog(IOptions<ApiOptions> options, TimeProvider timeProvider, ILogger<ApiAuditLog> logger) : BackgroundService
{
    private const int Capacity = 4096;

    private readonly Channel<ApiAuditEntry> _queue = Channel.CreateBounded<ApiAuditEntry>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private long _dropped;

    /// <summary>Lines lost because the writer fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public bool Enabled => options.Value.AuditLogPath is not null;

    /// <summary>Longer usernames are cut: the line is for people to read, and a client chooses the length.</summary>
    public const int MaxUsernameLength = 256;

    public void Record(string user, string? impersonator, string verb, string path, int status, TimeSpan duration)
        => Enqueue(new ApiAuditEntry(timeProvider.GetUtcNow(), user, impersonator, verb, path, status, duration, null));

    /// <summary>A login attempt: <paramref name="outcome"/> is succeeded, failed, throttled, forbidden, unavailable, ...</summary>
    public void RecordLogin(string provider, string username, string? address, string outcome, string? userId)
    {
        string shown = username.Length > MaxUsernameLength ? username[..MaxUsernameLength] : username;
        Enqueue(new ApiAuditEntry(timeProvider.GetUtcNow(), userId ?? "", null, "", "", 0, TimeSpan.Zero, new LoginAuditEntry(provider, shown, address, outcome)));
    }

    private void Enqueue(ApiAuditEntry entry)
    {
        if (Enabled && !_queue.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? path = options.Value.AuditLogPath;
        if (path is null)
        {
            return;
        }

        using var file = new AuditFile(path);
        var line = new ArrayBufferWriter<byte>(512);
        using var writer = new Utf8JsonWriter(line);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                Drain(writer, line, file);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Lines of requests that finished before the stop are still written.
            Drain(writer, line, file);
        }
    }

    private void Drain(Utf8JsonWriter writer, ArrayBufferWriter<byte> line, AuditFile file)
    {
        while (_queue.Reader.TryRead(out ApiAuditEntry entry))
        {
            try
            {
                line.ResetWrittenCount();
                writer.Reset(line);
                writer.WriteStartObject();
                writer.WriteString("time", entry.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                if (entry.Login is { } login)
                {
                    WriteLogin(writer, login, entry.User);
                }
                else
                {
                    WriteRequest(writer, entry);
                }

                writer.WriteEndObject();
                writer.Flush();
                line.Write("\n"u8);
                file.Write(line.WrittenSpan);
            }
            catch (IOException e)
            {
                LogWriteFailed(logger, e.Message);
            }
        }
    }

    private static void WriteRequest(Utf8JsonWriter writer, ApiAuditEntry entry)
    {
        writer.WriteString("user", entry.User);
        if (entry.Impersonator is not null)
        {
            writer.WriteString("impersonator", entry.Impersonator);
        }

        writer.WriteString("verb", entry.Verb);
        writer.WriteString("path", entry.Path);
        writer.WriteNumber("status", entry.Status);
        writer.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 3));
    }

    private static void WriteLogin(Utf8JsonWriter writer, LoginAuditEntry login, string userId)
    {
        writer.WriteString("event", "login");
        writer.WriteString("provider", login.Provider);
        writer.WriteString("username", login.Username);
        if (login.Address is not null)
        {
            writer.WriteString("address", login.Address);
        }

        writer.WriteString("outcome", login.Outcome);
        if (userId.Length > 0)
        {
            writer.WriteString("user", userId);
        }
    }

    [LoggerMessage(EventId = 1306, Level = LogLevel.Warning, Message = "Could not write the API audit log: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, string error);

    private readonly record struct ApiAuditEntry(DateTimeOffset Time, string User, string? Impersonator, string Verb, string Path, int Status, TimeSpan Duration, LoginAuditEntry? Login);

    private sealed record LoginAuditEntry(string Provider, string Username, string? Address, string Outcome);
}
