using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Appliance.Clusters.Tunnel;
using Xunit.Abstractions;
using static Appliance.Clusters.Tests.TunnelStreams;

namespace Appliance.Clusters.Tests;

/// <summary>Timing-sensitive tunnel tests run alone, not next to other test classes competing for the CPU.</summary>
[CollectionDefinition(nameof(TunnelTimingCollection), DisableParallelization = true)]
public sealed class TunnelTimingCollection;

/// <summary>One bulk transfer must not starve the small streams sharing the tunnel (a log download next to watches).</summary>
[Collection(nameof(TunnelTimingCollection))]
public sealed class TunnelFairnessTests(ITestOutputHelper output)
{
    private const int EventStreams = 100;
    private const int BulkBytes = 50 * 1024 * 1024;
    private static readonly TimeSpan EventInterval = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task AHundredEventStreams_SeeEachEventWithinASecond_WhileOneStreamMoves50MB_Intact()
    {
        using var stopEvents = new CancellationTokenSource();
        var bulkSent = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TunnelSessionPair pair = await TunnelSessionPair.StartAsync(async (stream, target) =>
        {
            await using (stream)
            {
                await stream.AcceptAsync();
                if (Encoding.UTF8.GetString(target.Span) == "bulk")
                {
                    bulkSent.SetResult(await SendBulkAsync(stream));
                }
                else
                {
                    await SendEventsAsync(stream, stopEvents.Token);
                }

                await stream.ShutdownWriteAsync();
                await TunnelWait.ReadToEndAsync(stream);
            }
        });

        var readers = new Task<(int Count, TimeSpan MaxLatency)>[EventStreams];
        var streams = new TunnelStream[EventStreams];
        for (int i = 0; i < EventStreams; i++)
        {
            streams[i] = await pair.Server.OpenStreamAsync(Utf8("events"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
            await streams[i].ShutdownWriteAsync();
            readers[i] = ReadEventsAsync(streams[i]);
        }

        await using TunnelStream bulk = await pair.Server.OpenStreamAsync(Utf8("bulk"), CancellationToken.None).AsTask().WaitAsync(TunnelWait.Bound);
        await bulk.ShutdownWriteAsync();
        var watch = Stopwatch.StartNew();
        (long received, byte[] hash) = await ReceiveBulkAsync(bulk);
        TimeSpan bulkTime = watch.Elapsed;
        await stopEvents.CancelAsync();
        (int Count, TimeSpan MaxLatency)[] results = await Task.WhenAll(readers).WaitAsync(TunnelWait.Bound);

        TimeSpan maxLatency = TimeSpan.Zero;
        int events = 0;
        foreach ((int count, TimeSpan latency) in results)
        {
            Assert.True(count >= 2, $"an event stream saw {count} events");
            events += count;
            maxLatency = latency > maxLatency ? latency : maxLatency;
        }

        output.WriteLine($"50 MiB in {bulkTime.TotalMilliseconds:0} ms ({BulkBytes / bulkTime.TotalSeconds / (1 << 20):0} MiB/s); " +
            $"{events} events on {EventStreams} streams, slowest {maxLatency.TotalMilliseconds:0.0} ms");
        Assert.Equal(BulkBytes, received);
        Assert.Equal(await bulkSent.Task.WaitAsync(TunnelWait.Bound), hash);
        Assert.True(maxLatency < TimeSpan.FromSeconds(1), $"an event took {maxLatency.TotalMilliseconds:0} ms");
        foreach (TunnelStream stream in streams)
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>50 MiB of seeded random bytes in 256 KiB writes; returns their SHA-256.</summary>
    private static async Task<byte[]> SendBulkAsync(TunnelStream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(5);
        byte[] chunk = new byte[256 * 1024];
        for (int sent = 0; sent < BulkBytes; sent += chunk.Length)
        {
            random.NextBytes(chunk);
            hash.AppendData(chunk);
            await stream.WriteAsync(chunk);
        }

        return hash.GetHashAndReset();
    }

    private static async Task<(long Received, byte[] Hash)> ReceiveBulkAsync(TunnelStream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        byte[] buffer = new byte[64 * 1024];
        long received = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, bound.Token)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            received += read;
        }

        return (received, hash.GetHashAndReset());
    }

    /// <summary>A 16-byte event (send timestamp, sequence number) every 20 ms until stopped: a watch's trickle.</summary>
    private static async Task SendEventsAsync(TunnelStream stream, CancellationToken stop)
    {
        byte[] buffer = new byte[16];
        for (long sequence = 0; !stop.IsCancellationRequested; sequence++)
        {
            BinaryPrimitives.WriteInt64BigEndian(buffer, Stopwatch.GetTimestamp());
            BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(8), sequence);
            await stream.WriteAsync(buffer);
            try
            {
                await Task.Delay(EventInterval, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Reads events until the end of the stream: how many, and the longest from write to read.</summary>
    private static async Task<(int Count, TimeSpan MaxLatency)> ReadEventsAsync(TunnelStream stream)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        byte[] buffer = new byte[16];
        int count = 0;
        long expected = 0;
        TimeSpan maxLatency = TimeSpan.Zero;
        while (await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, bound.Token) == buffer.Length)
        {
            TimeSpan latency = Stopwatch.GetElapsedTime(BinaryPrimitives.ReadInt64BigEndian(buffer));
            maxLatency = latency > maxLatency ? latency : maxLatency;
            Assert.Equal(expected++, BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(8)));
            count++;
        }

        return (count, maxLatency);
    }
}
