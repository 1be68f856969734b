using System.Globalization;

namespace Appliance.Api.Load;

internal sealed record LoadSettings(TimeSpan Duration, int[] Clients, int ListObjects, int ListRepeats, int WatchEvents, TimeSpan WatchSpacing, string DataDirectory)
{
    public static LoadSettings Parse(string[] args)
    {
        var settings = new LoadSettings(TimeSpan.FromSeconds(3), [1, 16, 64], 10_000, 5, 2000, TimeSpan.FromMilliseconds(1), Path.Combine(Path.GetTempPath(), "api-load"));
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"option {args[i]} needs a value");
            }

            string value = args[i + 1];
            settings = args[i] switch
            {
                "--seconds" => settings with { Duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--clients" => settings with { Clients = Array.ConvertAll(value.Split(','), c => int.Parse(c, CultureInfo.InvariantCulture)) },
                "--list-objects" => settings with { ListObjects = int.Parse(value, CultureInfo.InvariantCulture) },
                "--list-repeats" => settings with { ListRepeats = int.Parse(value, CultureInfo.InvariantCulture) },
                "--watch-events" => settings with { WatchEvents = int.Parse(value, CultureInfo.InvariantCulture) },
                "--watch-spacing-ms" => settings with { WatchSpacing = TimeSpan.FromMilliseconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--data" => settings with { DataDirectory = value },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        if (settings.Duration <= TimeSpan.Zero || settings.Clients.Any(c => c <= 0) || settings.ListObjects <= 0 || settings.ListRepeats <= 0 || settings.WatchEvents <= 0)
        {
            throw new ArgumentException("--seconds, --clients, --list-objects, --list-repeats and --watch-events must be positive");
        }

        return settings;
    }
}
