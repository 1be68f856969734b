using System.Text;

namespace Appliance.Benchmarks.Proxy;

/// <summary>
/// Request heads as kubectl v1.31 (client-go) sends them through <c>/k8s/clusters/{id}</c>: discovery,
/// list, watch, logs, apply, exec over SPDY and WebSocket. The mix of one interactive session.
/// </summary>
internal static class KubectlRequests
{
    private const string Common =
        "Host: rancher.example.com:8443\r\n" +
        "User-Agent: kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc\r\n" +
        "Authorization: Bearer token-abcde:2xw7mqq9c8x5pl4zvxk6r7wv5p2jdn9fnbmwqr4tc8zn6x2k\r\n";

    public static readonly string[] Heads =
    [
        "GET /k8s/clusters/c-m-abc12/api?timeout=32s HTTP/1.1\r\n" + Common +
        "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json\r\n" +
        "Accept-Encoding: gzip\r\n\r\n",

        "GET /k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods?limit=500 HTTP/1.1\r\n" + Common +
        "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json\r\n" +
        "Kubectl-Command: kubectl get\r\n" +
        "Kubectl-Session: 2f8b6f3e-5c6a-4d1e-9a7b-1c2d3e4f5a6b\r\n" +
        "Accept-Encoding: gzip\r\n\r\n",

        "GET /k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb-0&resourceVersion=123456&watch=true HTTP/1.1\r\n" + Common +
        "Accept: application/json\r\n" +
        "Kubectl-Command: kubectl get\r\n" +
        "Kubectl-Session: 2f8b6f3e-5c6a-4d1e-9a7b-1c2d3e4f5a6b\r\n" +
        "Accept-Encoding: gzip\r\n\r\n",

        "GET /k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods/web-0/log?container=web&follow=true HTTP/1.1\r\n" + Common +
        "Accept: application/json, */*\r\n" +
        "Kubectl-Command: kubectl logs\r\n" +
        "Kubectl-Session: 2f8b6f3e-5c6a-4d1e-9a7b-1c2d3e4f5a6b\r\n" +
        "Accept-Encoding: gzip\r\n\r\n",

        "PATCH /k8s/clusters/c-m-abc12/apis/apps/v1/namespaces/default/deployments/web?fieldManager=kubectl-client-side-apply&fieldValidation=Strict HTTP/1.1\r\n" + Common +
        "Content-Length: 1432\r\n" +
        "Accept: application/json\r\n" +
        "Content-Type: application/strategic-merge-patch+json\r\n" +
        "Kubectl-Command: kubectl apply\r\n" +
        "Kubectl-Session: 2f8b6f3e-5c6a-4d1e-9a7b-1c2d3e4f5a6b\r\n" +
        "Accept-Encoding: gzip\r\n\r\n",

        "POST /k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods/web-0/exec?command=sh&container=web&stdin=true&stdout=true&tty=true HTTP/1.1\r\n" + Common +
        "Content-Length: 0\r\n" +
        "Connection: Upgrade\r\n" +
        "Upgrade: SPDY/3.1\r\n" +
        "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n" +
        "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n" +
        "X-Stream-Protocol-Version: v2.channel.k8s.io\r\n" +
        "X-Stream-Protocol-Version: channel.k8s.io\r\n\r\n",

        "GET /k8s/clusters/c-m-abc12/api/v1/namespaces/default/pods/web-0/exec?command=sh&container=web&stdin=true&stdout=true&tty=true HTTP/1.1\r\n" + Common +
        "Connection: Upgrade\r\n" +
        "Upgrade: websocket\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Protocol: v5.channel.k8s.io, v4.channel.k8s.io\r\n\r\n",
    ];

    public static byte[] Bytes(string head) => Encoding.ASCII.GetBytes(head);
}
