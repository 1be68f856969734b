using Microsoft.Extensions.Logging;

namespace Appliance;

/// <summary>How every verb logs: one line an event, UTC timestamps, to stdout (journald picks it up).</summary>
internal static class Logging
{
    public static void Configure(ILoggingBuilder logging)
    {
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        logging.SetMinimumLevel(LogLevel.Information);
        // The framework's own chatter at Information adds nothing an operator acts on.
        logging.AddFilter("Microsoft", LogLevel.Warning);
    }
}
