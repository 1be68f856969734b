using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>Stored objects written as stored, with only their top-level metadata gaining the resourceVersion.</summary>
public sealed class StoredJsonTests
{
    private static JsonObject Written(string stored, long revision)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            StoredJson.Write(writer, Encoding.UTF8.GetBytes(stored), revision);
            writer.WriteEndArray();
        }

        return (JsonObject)JsonNode.Parse(buffer.ToArray())!.AsArray()[0]!;
    }

    [Theory]
    [InlineData("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n"},"data":{"k":"v"}}""")]
    [InlineData("""{"metadata":{},"data":{"k":"v"}}""")]
    [InlineData("""{"data":{"metadata":{"name":"decoy"}},"metadata":{"name":"a"}}""")]
    public void Write_AddsTheResourceVersionToTheTopLevelMetadataAndKeepsEverythingElse(string stored)
    {
        JsonObject written = Written(stored, 4711);
        Assert.Equal("4711", (string?)written["metadata"]!["resourceVersion"]);

        JsonObject expected = (JsonObject)JsonNode.Parse(stored)!;
        written["metadata"]!.AsObject().Remove("resourceVersion");
        Assert.True(JsonNode.DeepEquals(expected, written), written.ToJsonString());
    }

    [Fact]
    public void Write_OfAnObjectWithoutMetadata_WritesItUnchanged()
    {
        JsonObject written = Written("""{"kind":"Odd","data":{"metadata":1}}""", 7);
        Assert.Null(written["metadata"]);
        Assert.Equal(1, (int?)written["data"]!["metadata"]);
    }
}
