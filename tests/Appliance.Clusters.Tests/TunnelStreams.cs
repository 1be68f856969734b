using System.Text;
using Appliance.Clusters.Tunnel;

namespace Appliance.Clusters.Tests;

/// <summary>Stream handlers the tunnel tests share.</summary>
internal static class TunnelStreams
{
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] RandomBytes(int count, int seed)
    {
        byte[] bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Accepts, sends back everything until the peer's Close, then closes its own side.</summary>
    public static async Task EchoAsync(TunnelStream stream, ReadOnlyMemory<byte> target)
    {
        await using (stream)
        {
            await stream.AcceptAsync();
            byte[] buffer = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read));
            }

            await stream.ShutdownWriteAsync();
        }
    }

    /// <summary>Writes <paramref name="message"/>, half-closes, and reads the whole answer; bounded.</summary>
    public static async Task<byte[]> ExchangeAsync(Stream stream, byte[] message)
    {
        await stream.WriteAsync(message).AsTask().WaitAsync(TunnelWait.Bound);
        await ((TunnelStream)stream).ShutdownWriteAsync().AsTask().WaitAsync(TunnelWait.Bound);
        return await TunnelWait.ReadToEndAsync(stream);
    }
}
