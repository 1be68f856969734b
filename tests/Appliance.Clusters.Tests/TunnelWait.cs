namespace Appliance.Clusters.Tests;

/// <summary>Bounded polling for conditions that have no event to await.</summary>
internal static class TunnelWait
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? Bound);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Reads until the end of the stream; bounded.</summary>
    public static async Task<byte[]> ReadToEndAsync(Stream stream, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? Bound);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, cancellation.Token);
        return copy.ToArray();
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; bounded.</summary>
    public static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? Bound);
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellation.Token);
        return buffer;
    }
}
