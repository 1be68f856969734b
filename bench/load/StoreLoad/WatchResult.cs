namespace Appliance.Store.Load;

internal sealed record WatchResult(int Watchers, int Events, TimeSpan Elapsed, double WritesPerSecond, long Deliveries, int Lagged)
{
    public double EventsPerSecondPerWatcher => Events / Elapsed.TotalSeconds;
}
