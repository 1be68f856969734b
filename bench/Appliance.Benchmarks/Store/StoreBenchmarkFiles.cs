namespace Appliance.Benchmarks.Store;

internal static class StoreBenchmarkFiles
{
    /// <summary>On disk, not tmpfs, so fsync costs what it costs in production.</summary>
    public static string NewDirectory()
    {
        string path = Path.Combine("/var/tmp", "appliance-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
