namespace Appliance.Clusters.Downstream;

/// <summary>
/// Reads every response whole, asynchronously, and leaves the socket threads before KubernetesClient sees it.
/// KubernetesClient deserializes bodies with a synchronous read of the response stream; with the process's
/// socket completions inline (SocketThreadScheduling) that read would run on a socket thread and could wait for
/// bytes only that same thread can deliver (seen as agents hanging in their TokenRequest). Our calls are small
/// reads and writes, never watches, so buffering costs nothing.
/// </summary>
public sealed class BufferedResponseHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        if (!Thread.CurrentThread.IsThreadPoolThread)
        {
            await Task.Yield(); // The caller's JSON and controller work then runs on the pool.
        }

        return response;
    }
}
