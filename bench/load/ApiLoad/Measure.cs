using System.Diagnostics;

namespace Appliance.Api.Load;

/// <summary>Latencies and allocation of one measured phase.</summary>
internal static class Measure
{
    public static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>The p-quantile of <paramref name="sorted"/> Stopwatch ticks, in ms.</summary>
    public static double Percentile(List<long> sorted, double p)
        => sorted.Count == 0 ? double.NaN : Milliseconds(sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))]);

    /// <summary>Every byte allocated by the process so far (all threads).</summary>
    public static long AllocatedBytes() => GC.GetTotalAllocatedBytes(precise: true);

    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
