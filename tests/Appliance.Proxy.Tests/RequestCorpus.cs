namespace Appliance.Proxy.Tests;

/// <summary>
/// Valid requests as kubectl (client-go) sends them through the proxy, plus a few lawful oddities.
/// Bodies follow the head where the request has one; the head parser must stop at the head's end.
/// </summary>
internal static class RequestCorpus
{
    public const string Host = "rancher.example.com:8443";
    private const string UserAgent = "kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc";

    public static readonly IReadOnlyDictionary<string, (string Head, string Body)> Valid = new Dictionary<string, (string, string)>
    {
        ["kubectl get pods"] = (
            "GET /k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods?limit=500 HTTP/1.1\r\n" +
            $"Host: {Host}\r\n" +
            $"User-Agent: {UserAgent}\r\n" +
            "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json\r\n" +
            "Authorization: Bearer token-abcde:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmw\r\n" +
            "Kubectl-Command: kubectl get\r\n" +
            "Kubectl-Session: 2f8b6f3e-5c6a-4d1e-9a7b-1c2d3e4f5a6b\r\n" +
            "Accept-Encoding: gzip\r\n" +
            "\r\n", ""),
        ["kubectl get -w"] = (
            "GET /k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb-0&resourceVersion=123456&watch=true HTTP/1.1\r\n" +
            $"Host: {Host}\r\n" +
            $"User-Agent: {UserAgent}\r\n" +
            "Accept: application/json\r\n" +
            "Authorization: Bearer token-abcde:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmw\r\n" +
            "Kubectl-Command: kubectl get\r\n" +
            "Accept-Encoding: gzip\r\n" +
            "\r\n", ""),
        ["kubectl apply (POST, Content-Length)"] = (
            "POST /k8s/clusters/local/api/v1/namespaces/default/configmaps?fieldManager=kubectl-client-side-apply&fieldValidation=Strict HTTP/1.1\r\n" +
            $"Host: {Host}\r\n" +
            $"User-Agent: {UserAgent}\r\n" +
            "Content-Length: 60\r\n" +
            "Accept: application/json\r\n" +
            "Authorization: Bearer token-abcde:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmw\r\n" +
            "Content-Type: application/json\r\n" +
            "Kubectl-Command: kubectl apply\r\n" +
            "\r\n",
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}"),
        ["chunked PUT"] = (
            "PUT /k8s/clusters/local/api/v1/namespaces/default/configmaps/a HTTP/1.1\r\n" +
            $"Host: {Host}\r\n" +
            "Transfer-Encoding: chunked\r\n" +
            "Content-Type: application/json\r\n" +
            "Authorization: Bearer token-abcde:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmw\r\n" +
            "\r\n",
            "2\r\n{}\r\n0\r\n\r\n"),
        ["kubectl exec (SPDY/3.1 upgrade)"] = (
            "POST /k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods/web-0/exec?command=sh&container=web&stdin=true&stdout=true&tty=true HTTP/1.1\r\n" +
            $"Host: {Host}\r\n" +
            $"User-Agent: {UserAgent}\r\n" +
            "Content-Length: 0\r\n" +
            "Connection: Upgrade\r\n" +
            "Upgrade: SPDY/3.1\r\n" +
            "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n" +
            "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n" +
            "X-Stream-Protocol-Version: v2.channel.k8s.io\r\n" +
            "X-Stream-Protocol-Version: channel.k8s.io\r\n" +
            "Authorization: Bearer token-abcde:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmw\r\n" +
            "\r\n", ""),
        ["kubectl exec (WebSocket upgrade)"] = (
            "GET /k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods/web-0/exec?command=sh&container=web&stdin=true&stdout=true&tty=true HTTP/1.1\r\n" +
            $"Host: {Host}\r\n" +
            $"User-Agent: {UserAgent}\r\n" +
            "Connection: Upgrade\r\n" +
            "Upgrade: websocket\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Protocol: v5.channel.k8s.io, v4.channel.k8s.io\r\n" +
            "Authorization: Bearer token-abcde:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmw\r\n" +
            "\r\n", ""),
        ["HTTP/1.0 without Host"] = (
            "GET /k8s/clusters/local/version HTTP/1.0\r\n" +
            "\r\n", ""),
        ["lawful whitespace, obs-text, empty value, repeated Content-Length"] = (
            "DELETE /k8s/clusters/local/api/v1/namespaces/x HTTP/1.1\r\n" +
            $"Host:{Host}\r\n" +
            "X-Tabs:\t value with\ttab \t\r\n" +
            "X-Obs-Text: caf\u00e9\r\n" +
            "X-Empty:\r\n" +
            "Content-Length: 2\r\n" +
            "content-length: 2\r\n" +
            "\r\n", "{}"),
    };

    public static TheoryData<string> ValidNames()
    {
        var names = new TheoryData<string>();
        foreach (string name in Valid.Keys)
        {
            names.Add(name);
        }

        return names;
    }
}
