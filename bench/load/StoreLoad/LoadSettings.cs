using System.Globalization;

namespace Appliance.Store.Load;

internal sealed record LoadSettings(TimeSpan Duration, int[] Writers, string? EtcdEndpoint, string DataDirectory, int Watchers, int WatchEvents)
{
    public static LoadSettings Parse(string[] args)
    {
        var settings = new LoadSettings(TimeSpan.FromSeconds(10), [1, 16, 64], null, Path.Combine(Path.GetTempPath(), "store-load"), 1000, 20_000);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            settings = args[i] switch
            {
                "--seconds" => settings with { Duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--writers" => settings with { Writers = Array.ConvertAll(value.Split(','), w => int.Parse(w, CultureInfo.InvariantCulture)) },
                "--etcd" => settings with { EtcdEndpoint = value },
                "--data" => settings with { DataDirectory = value },
                "--watchers" => settings with { Watchers = int.Parse(value, CultureInfo.InvariantCulture) },
                "--watch-events" => settings with { WatchEvents = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return settings;
    }
}
