namespace Appliance.Store.Load;

internal sealed record LoadResult(string Target, int Writers, double WritesPerSecond, double P50Milliseconds, double P99Milliseconds);
