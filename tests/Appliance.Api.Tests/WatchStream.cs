using System.Net;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>A watch response read line by line, every read bounded by a timeout.</summary>
public sealed class WatchStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private WatchStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<WatchStream> OpenAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.TransferEncodingChunked);
        return new WatchStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    public async Task<JsonObject> NextAsync(TimeSpan timeout)
        => await NextOrEndAsync(timeout) ?? throw new InvalidOperationException("The watch ended before the expected event.");

    /// <summary>The next event, or null when the server ended the stream.</summary>
    public async Task<JsonObject?> NextOrEndAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        string? line = await _reader.ReadLineAsync(cancellation.Token);
        return line is null ? null : (JsonObject)JsonNode.Parse(line)!;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
