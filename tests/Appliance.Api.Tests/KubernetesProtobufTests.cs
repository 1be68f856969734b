using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

public sealed class KubernetesProtobufTests
{
    // The exact body kubectl v1.32.4 sends for `kubectl create configmap x --from-literal=a=b`.
    private static readonly byte[] KubectlConfigMap =
        "k8s\0\n\u000f\n\u0002v1\u0012\tConfigMap\u0012\u001b\n\u0011\n\u0001x\u0012\0\u001a\0\"\0*\u00002\u00008\0B\0\u0012\u0006\n\u0001a\u0012\u0001b\u001a\0\"\0"u8.ToArray();

    [Fact]
    public void TryDecode_KubectlConfigMap_GivesTheJsonObject()
    {
        Assert.True(KubernetesProtobuf.TryDecode(KubectlConfigMap, ProtobufSchema.ConfigMap, out JsonObject obj, out string? error), error);
        Assert.Equal("v1", (string?)obj["apiVersion"]);
        Assert.Equal("ConfigMap", (string?)obj["kind"]);
        Assert.Equal("x", (string?)obj["metadata"]!["name"]);
        Assert.Equal("b", (string?)obj["data"]!["a"]);
    }

    [Fact]
    public void TryDecode_SecretDataBytes_BecomeBase64()
    {
        // Secret { metadata { name: "s" } data { "k": 0x00 0xff } }
        byte[] secret = [0x0a, 0x03, 0x0a, 0x01, (byte)'s', 0x12, 0x07, 0x0a, 0x01, (byte)'k', 0x12, 0x02, 0x00, 0xff];
        byte[] body = [.. "k8s\0"u8, 0x12, (byte)secret.Length, .. secret];
        Assert.True(KubernetesProtobuf.TryDecode(body, ProtobufSchema.Secret, out JsonObject obj, out string? error), error);
        Assert.Equal("s", (string?)obj["metadata"]!["name"]);
        Assert.Equal(Convert.ToBase64String([0x00, 0xff]), (string?)obj["data"]!["k"]);
    }

    [Fact]
    public void TryDecode_EveryTruncatedPrefix_IsRejectedNotThrown()
    {
        for (int length = 0; length < KubectlConfigMap.Length; length++)
        {
            byte[] prefix = KubectlConfigMap[..length];
            bool decoded = KubernetesProtobuf.TryDecode(prefix, ProtobufSchema.ConfigMap, out JsonObject obj, out string? error);

            // A cut that falls on a field boundary is a valid (shorter) message; anything else is an error.
            Assert.True(decoded || error is not null, $"length {length}");
        }
    }

    [Fact]
    public void TryDecode_WithoutTheMagic_IsRejected()
    {
        Assert.False(KubernetesProtobuf.TryDecode("{}"u8, ProtobufSchema.ConfigMap, out _, out string? error));
        Assert.Contains("prefix", error);
    }
}
