using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Appliance.Store;

namespace Appliance.Api.Load;

internal sealed record ListResult(string Target, string Shape, int Items, int Pages, double Milliseconds, double AllocatedBytes, long ResponseBytes);

/// <summary>
/// A list of every ConfigMap of one namespace, in one request and in pages of 500 (client-go's pager),
/// against the store's range of the same keys. Allocation is the whole process's during the call, so the
/// API figure also holds the in-process client's share: its response buffer is allocated once up front,
/// and it scans the JSON without materialising it.
/// </summary>
internal static class ListLoad
{
    public const int PageSize = 500;

    private static byte[] _buffer = new byte[16 << 20];

    /// <summary>Creates <paramref name="count"/> ConfigMaps in <paramref name="ns"/> through HTTP with all <paramref name="clients"/>, bounded in time.</summary>
    public static async Task PopulateAsync(HttpClient[] clients, string ns, int count, TimeSpan limit)
    {
        int next = -1;
        var stopwatch = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(limit);
        await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            for (int n = Interlocked.Increment(ref next); n < count; n = Interlocked.Increment(ref next))
            {
                deadline.Token.ThrowIfCancellationRequested();
                await CreateLoad.CreateConfigMapAsync(client, ns, $"cm-{n:D6}").ConfigureAwait(false);
            }
        }))).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"list     populated {count} ConfigMaps in {stopwatch.Elapsed.TotalSeconds:0.0} s with {clients.Length} clients"));
    }

    public static async Task<ListResult> RunApiAsync(HttpClient client, string ns, int expected, int pageSize, int repeats)
    {
        // The first round warms up and is checked; the others are measured.
        var times = new List<double>();
        var allocations = new List<double>();
        int pages = 0;
        long bytes = 0;
        for (int round = 0; round <= repeats; round++)
        {
            long allocated = Measure.AllocatedBytes();
            long start = Stopwatch.GetTimestamp();
            (int items, pages, bytes) = await ListOnceAsync(client, ns, pageSize).ConfigureAwait(false);
            long elapsed = Stopwatch.GetTimestamp() - start;
            allocated = Measure.AllocatedBytes() - allocated;
            if (items != expected)
            {
                throw new InvalidOperationException($"API list of {ns}: {items} items, expected {expected}");
            }

            if (round > 0)
            {
                times.Add(Measure.Milliseconds(elapsed));
                allocations.Add(allocated);
            }
        }

        return Report(new ListResult("API", Shape(pageSize), expected, pages, Measure.Median(times), Measure.Median(allocations), bytes));
    }

    public static ListResult RunStore(KeyValueStore store, string ns, int expected, int pageSize, int repeats)
    {
        string prefix = $"/registry/core/configmaps/{ns}/";
        var times = new List<double>();
        var allocations = new List<double>();
        int pages = 0;
        long bytes = 0;
        for (int round = 0; round <= repeats; round++)
        {
            long allocated = Measure.AllocatedBytes();
            long start = Stopwatch.GetTimestamp();
            int items = 0;
            pages = 0;
            bytes = 0;
            string? token = null;
            do
            {
                RangeResult page = store.Range(prefix, pageSize, token);
                if (page.Status != StoreStatus.Ok)
                {
                    throw new InvalidOperationException($"store range {prefix}: {page.Status}");
                }

                pages++;
                items += page.Items.Count;
                foreach (KeyValue item in page.Items)
                {
                    bytes += item.Value.Length;
                }

                token = page.Continue;
            }
            while (token is not null);

            long elapsed = Stopwatch.GetTimestamp() - start;
            allocated = Measure.AllocatedBytes() - allocated;
            if (items != expected)
            {
                throw new InvalidOperationException($"store range {prefix}: {items} items, expected {expected}");
            }

            if (round > 0)
            {
                times.Add(Measure.Milliseconds(elapsed));
                allocations.Add(allocated);
            }
        }

        return Report(new ListResult("store", Shape(pageSize), expected, pages, Measure.Median(times), Measure.Median(allocations), bytes));
    }

    private static string Shape(int pageSize) => pageSize == 0 ? "one request" : $"pages of {pageSize}";

    private static ListResult Report(ListResult result)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"list     {result.Target,-5} {result.Items} items, {result.Shape} ({result.Pages}): {result.Milliseconds:0.0} ms  {result.AllocatedBytes / (1 << 20):0.0} MB allocated  {result.ResponseBytes / (double)(1 << 20):0.0} MB of JSON"));
        return result;
    }

    private static async Task<(int Items, int Pages, long Bytes)> ListOnceAsync(HttpClient client, string ns, int pageSize)
    {
        int items = 0;
        int pages = 0;
        long bytes = 0;
        string? token = null;
        do
        {
            string query = pageSize == 0 ? "" : token is null ? $"?limit={pageSize}" : $"?limit={pageSize}&continue={Uri.EscapeDataString(token)}";
            using HttpResponseMessage response = await client.GetAsync(new Uri($"/api/v1/namespaces/{ns}/configmaps{query}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"list {ns}: {(int)response.StatusCode}");
            }

            int length = 0;
            using (Stream body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
            {
                int read;
                while ((read = await body.ReadAsync(_buffer.AsMemory(length)).ConfigureAwait(false)) > 0)
                {
                    length += read;
                    if (length == _buffer.Length)
                    {
                        Array.Resize(ref _buffer, _buffer.Length * 2);
                    }
                }
            }

            (int count, token) = Scan(_buffer.AsSpan(0, length));
            items += count;
            pages++;
            bytes += length;
        }
        while (!string.IsNullOrEmpty(token));

        return (items, pages, bytes);
    }

    /// <summary>The number of entries of the top-level <c>items</c> and <c>metadata.continue</c>.</summary>
    private static (int Items, string? Continue) Scan(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        int items = 0;
        string? token = null;
        string? section = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
            {
                section = reader.ValueTextEquals("items"u8) ? "items" : reader.ValueTextEquals("metadata"u8) ? "metadata" : null;
            }
            else if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 2 && section == "metadata" && reader.ValueTextEquals("continue"u8))
            {
                reader.Read();
                token = reader.GetString();
            }
            else if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth == 2 && section == "items")
            {
                items++;
                reader.Skip();
            }
        }

        return (items, token);
    }
}
