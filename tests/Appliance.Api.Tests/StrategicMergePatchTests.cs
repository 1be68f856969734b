using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>
/// The strategic merge patch algorithm alone. The generic cases are apimachinery's strategicpatch test
/// cases (its MergeItem type: mergingList by name, mergingIntList a set, the rest atomic); the others use
/// the kinds' real tables in <see cref="StrategicMergeKeys"/>.
/// </summary>
public sealed class StrategicMergePatchTests
{
    private static readonly FrozenDictionary<string, MergeList> MergeItem = new Dictionary<string, MergeList>
    {
        ["mergingList"] = new("name"),
        ["mergingList.mergingList"] = new("name"),
        ["mergingIntList"] = new(null),
        ["retainKeysMergingList"] = new("name"),
    }.ToFrozenDictionary();

    [Theory]
    [InlineData("unique scalars when merging lists", """{"mergingIntList":[1,2]}""", """{"mergingIntList":[2,3]}""", """{"mergingIntList":[1,2,3]}""")]
    [InlineData("delete map from nested map", """{"simpleMap":{"key1":1,"key2":1}}""", """{"simpleMap":{"$patch":"delete"}}""", """{"simpleMap":{}}""")]
    [InlineData("delete all items from merging list", """{"mergingList":[{"name":1},{"name":2}]}""", """{"mergingList":[{"$patch":"replace"}]}""", """{"mergingList":[]}""")]
    [InlineData("merge empty merging lists", """{"mergingList":[]}""", """{"mergingList":[]}""", """{"mergingList":[]}""")]
    [InlineData("delete all keys from map", """{"name":1,"value":1}""", """{"$patch":"replace"}""", """{}""")]
    [InlineData("add key and delete all keys from map", """{"name":1,"value":1}""", """{"other":"a","$patch":"replace"}""", """{"other":"a"}""")]
    [InlineData("delete all duplicate entries in a merging list", """{"mergingList":[{"name":1},{"name":1},{"name":2,"value":"a"},{"name":3},{"name":3}]}""", """{"mergingList":[{"name":1,"$patch":"delete"},{"name":3,"$patch":"delete"}]}""", """{"mergingList":[{"name":2,"value":"a"}]}""")]
    [InlineData("retainKeys list can delete a field", """{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a"}]}""", """{"retainKeysMergingList":[{"name":"foo","value":null}]}""", """{"retainKeysMergingList":[{"name":"bar"},{"name":"foo"}]}""")]
    [InlineData("preserve the order from the patch in a merging list", """{"mergingList":[{"name":1},{"name":2,"value":"b"},{"name":3}]}""", """{"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"},{"name":2,"other":"x"}]}""", """{"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"},{"name":2,"value":"b","other":"x"}]}""")]
    [InlineData("preserve the order from the patch in a merging list 2", """{"mergingList":[{"name":1},{"name":2,"value":"b"},{"name":3}]}""", """{"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"}]}""", """{"mergingList":[{"name":2,"value":"b"},{"name":3,"value":"c"},{"name":1,"value":"a"}]}""")]
    [InlineData("preserve the order from the patch in a merging int list", """{"mergingIntList":[1,2,3]}""", """{"mergingIntList":[3,1]}""", """{"mergingIntList":[2,3,1]}""")]
    [InlineData("$setElementOrder names an item the list lacks", """{"mergingList":[{"name":1},{"name":3}]}""", """{"$setElementOrder/mergingList":[{"name":3},{"name":2},{"name":1}],"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]}""", """{"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]}""")]
    [InlineData("$setElementOrder alone reorders an int list", """{"mergingIntList":[1,3]}""", """{"$setElementOrder/mergingIntList":[3,2,1]}""", """{"mergingIntList":[3,1]}""")]
    [InlineData("$deleteFromPrimitiveList of a missing item adds nothing", """{"mergingIntList":[1,2]}""", """{"$deleteFromPrimitiveList/mergingIntList":[3]}""", """{"mergingIntList":[1,2]}""")]
    [InlineData("$deleteFromPrimitiveList on a missing list adds no list", """{"foo":["bar"]}""", """{"$deleteFromPrimitiveList/mergingIntList":[3]}""", """{"foo":["bar"]}""")]
    [InlineData("$deleteFromPrimitiveList deletes from a merged list", """{"mergingIntList":[1,2,3]}""", """{"$deleteFromPrimitiveList/mergingIntList":[2]}""", """{"mergingIntList":[1,3]}""")]
    [InlineData("$deleteFromPrimitiveList deletes from an atomic list", """{"nonMergingIntList":[1,2,3]}""", """{"$deleteFromPrimitiveList/nonMergingIntList":[2]}""", """{"nonMergingIntList":[1,3]}""")]
    [InlineData("add field and delete field from map", """{"name":1,"other":"a"}""", """{"name":null,"value":1}""", """{"value":1,"other":"a"}""")]
    [InlineData("delete field from nested map", """{"simpleMap":{"key1":1,"key2":1,"other":"a"}}""", """{"simpleMap":{"key2":null}}""", """{"simpleMap":{"key1":1,"other":"a"}}""")]
    [InlineData("replace list of scalars", """{"nonMergingIntList":[1,2]}""", """{"nonMergingIntList":[2,3]}""", """{"nonMergingIntList":[2,3]}""")]
    [InlineData("replace list of maps", """{"nonMergingList":[{"name":1},{"name":2}]}""", """{"nonMergingList":[{"name":3}]}""", """{"nonMergingList":[{"name":3}]}""")]
    [InlineData("delete all maps from merging list", """{"mergingList":[{"name":1,"other":"a"},{"name":2,"other":"b"}]}""", """{"mergingList":[{"name":1,"$patch":"delete"},{"name":2,"$patch":"delete"}]}""", """{"mergingList":[]}""")]
    [InlineData("unmatched nulls are ignored", """{"name":"a"}""", """{"other":null,"value":1}""", """{"name":"a","value":1}""")]
    [InlineData("nested patch merge with empty list", """{"name":"hi","mergingList":[{"name":"hello2"}]}""", """{"$setElementOrder/mergingList":[{"name":"hello"},{"name":"doesntexist"}],"mergingList":[{"name":"hello"},{"$patch":"delete","name":"doesntexist"}]}""", """{"name":"hi","mergingList":[{"name":"hello"},{"name":"hello2"}]}""")]
    [InlineData("delete items in lists of scalars", """{"mergingIntList":[1,2,3,4]}""", """{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}""", """{"mergingIntList":[1,2,4]}""")]
    [InlineData("add and delete items in lists of scalars", """{"mergingIntList":[1,2,3,4]}""", """{"$setElementOrder/mergingIntList":[1,2,4],"$deleteFromPrimitiveList/mergingIntList":[3],"mergingIntList":[4]}""", """{"mergingIntList":[1,2,4]}""")]
    [InlineData("merge lists of maps", """{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}""", """{"$setElementOrder/mergingList":[{"name":4},{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":4,"value":4},{"name":3,"value":3}]}""", """{"mergingList":[{"name":4,"value":4},{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"},{"name":3,"value":3}]}""")]
    [InlineData("nested merging lists merge by key too", """{"mergingList":[{"name":1,"mergingList":[{"name":"a","value":1},{"name":"b"}]}]}""", """{"mergingList":[{"name":1,"mergingList":[{"name":"a","value":2}]}]}""", """{"mergingList":[{"name":1,"mergingList":[{"name":"a","value":2},{"name":"b"}]}]}""")]
    [InlineData("a map replaced with $patch: replace keeps only the patch", """{"simpleMap":{"a":"1","b":"2"}}""", """{"simpleMap":{"$patch":"replace","c":"3"}}""", """{"simpleMap":{"c":"3"}}""")]
    [InlineData("a merging list replaced with $patch: replace", """{"mergingList":[{"name":1,"value":1},{"name":2}]}""", """{"mergingList":[{"name":3},{"name":1},{"$patch":"replace"}]}""", """{"mergingList":[{"name":3},{"name":1}]}""")]
    [InlineData("$retainKeys drops the fields it does not list", """{"volume":{"name":"v","emptyDir":{},"hostPath":{"path":"/x"}}}""", """{"volume":{"$retainKeys":["name","hostPath"],"hostPath":{"path":"/y"}}}""", """{"volume":{"name":"v","hostPath":{"path":"/y"}}}""")]
    [InlineData("a value of another type replaces", """{"a":{"b":1}}""", """{"a":"text"}""", """{"a":"text"}""")]
    [InlineData("unknown directives are dropped", """{"a":1}""", """{"$unknown":"x","b":2}""", """{"a":1,"b":2}""")]
    [InlineData("directives in a new subtree apply too", """{}""", """{"simpleMap":{"a":"1","gone":null},"mergingList":[{"name":1},{"name":2,"$patch":"delete"}]}""", """{"simpleMap":{"a":"1"},"mergingList":[{"name":1}]}""")]
    [InlineData("merge keys compare as values, not text", """{"mergingList":[{"name":80,"value":"a"}]}""", """{"mergingList":[{"name":80.0,"other":"b"}]}""", """{"mergingList":[{"name":80,"value":"a","other":"b"}]}""")]
    public void Apply_GivesApimachinerysResult(string description, string original, string patch, string expected)
    {
        JsonObject result = StrategicMergePatch.Apply(Parse(original), Parse(patch), MergeItem);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), $"{description}: {result.ToJsonString()}");
    }

    [Theory]
    [InlineData("missing merge key", """{"mergingList":[{"name":1,"value":"a"}]}""", """{"mergingList":[{"value":"b"}]}""", "does not contain declared merge key")]
    [InlineData("$setElementOrder out of the patch's order", """{"mergingList":[{"name":1},{"name":3},{"name":2}]}""", """{"$setElementOrder/mergingList":[{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]}""", "doesn't match")]
    [InlineData("$setElementOrder out of an int list's order", """{"mergingIntList":[1,3,2]}""", """{"$setElementOrder/mergingIntList":[1,2,3],"mergingIntList":[3,1]}""", "doesn't match")]
    [InlineData("an unknown $patch in a map", """{"a":{}}""", """{"a":{"$patch":"explode"}}""", "unknown patch type")]
    [InlineData("$patch: merge in a list", """{"mergingList":[]}""", """{"mergingList":[{"$patch":"merge"}]}""", "merging lists cannot yet be specified")]
    [InlineData("$retainKeys not a list", """{"a":{}}""", """{"a":{"$retainKeys":"x"}}""", "retainKeys")]
    [InlineData("$deleteFromPrimitiveList not a list", """{"mergingIntList":[1]}""", """{"$deleteFromPrimitiveList/mergingIntList":1}""", "must be a list")]
    [InlineData("objects in a set of primitives", """{"mergingIntList":[]}""", """{"mergingIntList":[{"name":1}]}""", "cannot merge lists without merge key")]
    [InlineData("primitives in a list merged by key", """{"mergingList":[]}""", """{"mergingList":["x"]}""", "must be objects with the merge key")]
    [InlineData("mixed element types", """{"mergingList":[{"name":1}]}""", """{"mergingList":["x"]}""", "not all of one type")]
    public void Apply_OfAMalformedPatch_IsMalformed(string description, string original, string patch, string reason)
    {
        PatchException e = Assert.Throws<PatchException>(() => StrategicMergePatch.Apply(Parse(original), Parse(patch), MergeItem));
        Assert.True(e.Malformed, description);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_WithFieldsOutsideRetainKeys_IsInvalidNotMalformed()
    {
        // apimachinery's ErrPatchContentNotMatchRetainKeys, which kube-apiserver answers with 422.
        PatchException e = Assert.Throws<PatchException>(() => StrategicMergePatch.Apply(
            Parse("""{"a":{"x":1}}"""), Parse("""{"a":{"$retainKeys":["x"],"y":2}}"""), MergeItem));
        Assert.False(e.Malformed);
        Assert.Contains("retainKeys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_ListOfLists_IsInvalidNotMalformed()
    {
        PatchException e = Assert.Throws<PatchException>(() => StrategicMergePatch.Apply(
            Parse("""{"mergingIntList":[[1]]}"""), Parse("""{"mergingIntList":[[2]]}"""), MergeItem));
        Assert.False(e.Malformed);
        Assert.Contains("lists of lists", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PodContainers_MergeByName_AndTheirEnvAndPortsByTheirKeys()
    {
        JsonObject pod = Parse("""
            {"spec":{"containers":[
              {"name":"app","image":"app:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"ports":[{"containerPort":80,"name":"http"}]},
              {"name":"sidecar","image":"proxy:1"}]}}
            """);
        JsonObject patch = Parse("""
            {"spec":{"containers":[
              {"name":"app","image":"app:2","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}],"ports":[{"containerPort":443,"name":"https"}]}]}}
            """);
        JsonObject result = StrategicMergePatch.Apply(pod, patch, StrategicMergeKeys.For("", "Pod")!);
        JsonArray containers = result["spec"]!["containers"]!.AsArray();
        Assert.Equal(["app", "sidecar"], containers.Select(c => (string)c!["name"]!));
        Assert.Equal("app:2", (string?)containers[0]!["image"]);
        Assert.Equal("proxy:1", (string?)containers[1]!["image"]);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}]"""), containers[0]!["env"]));

        // Without $setElementOrder, apimachinery puts new elements before the server's remaining ones.
        Assert.Equal([443, 80], containers[0]!["ports"]!.AsArray().Select(p => (int)p!["containerPort"]!));
    }

    [Fact]
    public void PodContainer_DeletedByName_LeavesTheOthers()
    {
        JsonObject pod = Parse("""{"spec":{"containers":[{"name":"app"},{"name":"debug"}],"initContainers":[{"name":"init"}]}}""");
        JsonObject result = StrategicMergePatch.Apply(pod, Parse("""{"spec":{"containers":[{"name":"debug","$patch":"delete"}]}}"""), StrategicMergeKeys.For("", "Pod")!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"spec":{"containers":[{"name":"app"}],"initContainers":[{"name":"init"}]}}"""), result));
    }

    [Fact]
    public void PodVolumes_MergeByName_VolumeMountsByMountPath_TolerationsAreReplaced()
    {
        JsonObject pod = Parse("""
            {"spec":{"volumes":[{"name":"data","emptyDir":{}}],
              "containers":[{"name":"app","volumeMounts":[{"name":"data","mountPath":"/data"}]}],
              "tolerations":[{"key":"a","operator":"Exists"}]}}
            """);
        JsonObject patch = Parse("""
            {"spec":{"volumes":[{"name":"config","configMap":{"name":"cm"}}],
              "containers":[{"name":"app","volumeMounts":[{"name":"config","mountPath":"/etc/app"}]}],
              "tolerations":[{"key":"b","operator":"Exists"}]}}
            """);
        JsonObject result = StrategicMergePatch.Apply(pod, patch, StrategicMergeKeys.For("", "Pod")!);
        Assert.Equal(["config", "data"], result["spec"]!["volumes"]!.AsArray().Select(v => (string)v!["name"]!));
        Assert.Equal(["/etc/app", "/data"], result["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray().Select(v => (string)v!["mountPath"]!));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"key":"b","operator":"Exists"}]"""), result["spec"]!["tolerations"]));
    }

    [Fact]
    public void NodeConditionsAndAddresses_MergeByType()
    {
        JsonObject node = Parse("""
            {"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"MemoryPressure","status":"False"}],
              "addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}}
            """);
        JsonObject patch = Parse("""
            {"status":{"conditions":[{"type":"Ready","status":"True"}],"addresses":[{"type":"Hostname","address":"n1"}]}}
            """);
        JsonObject result = StrategicMergePatch.Apply(node, patch, StrategicMergeKeys.For("", "Node")!);
        JsonArray conditions = result["status"]!["conditions"]!.AsArray();
        Assert.Equal(2, conditions.Count);
        Assert.Equal("True", (string?)conditions.Single(c => (string?)c!["type"] == "Ready")!["status"]);
        Assert.Equal(["Hostname", "InternalIP"], result["status"]!["addresses"]!.AsArray().Select(a => (string)a!["type"]!).Order());
    }

    [Fact]
    public void ServiceAccountSecrets_MergeByName()
    {
        JsonObject sa = Parse("""{"secrets":[{"name":"token-a"}]}""");
        JsonObject result = StrategicMergePatch.Apply(sa, Parse("""{"secrets":[{"name":"token-b"}]}"""), StrategicMergeKeys.For("", "ServiceAccount")!);
        Assert.Equal(["token-a", "token-b"], result["secrets"]!.AsArray().Select(s => (string)s!["name"]!).Order());
    }

    [Fact]
    public void RoleRulesAndBindingSubjects_AreReplacedWhole()
    {
        JsonObject role = Parse("""{"rules":[{"verbs":["get"],"resources":["pods"]}]}""");
        JsonObject result = StrategicMergePatch.Apply(role, Parse("""{"rules":[{"verbs":["list"],"resources":["secrets"]}]}"""), StrategicMergeKeys.For(ResourceRegistry.RbacGroup, "Role")!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"verbs":["list"],"resources":["secrets"]}]"""), result["rules"]));

        JsonObject binding = Parse("""{"subjects":[{"kind":"User","name":"a"}]}""");
        result = StrategicMergePatch.Apply(binding, Parse("""{"subjects":[{"kind":"User","name":"b"}]}"""), StrategicMergeKeys.For(ResourceRegistry.RbacGroup, "ClusterRoleBinding")!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"kind":"User","name":"b"}]"""), result["subjects"]));
    }

    [Fact]
    public void MetadataFinalizersMergeAsASet_AndOwnerReferencesByUid_ForEveryBuiltInKind()
    {
        JsonObject cm = Parse("""{"metadata":{"finalizers":["a","b"],"ownerReferences":[{"uid":"1","name":"x"}]}}""");
        JsonObject patch = Parse("""{"metadata":{"finalizers":["b","c"],"$deleteFromPrimitiveList/finalizers":["a"],"ownerReferences":[{"uid":"2","name":"y"}]}}""");
        JsonObject result = StrategicMergePatch.Apply(cm, patch, StrategicMergeKeys.For("", "ConfigMap")!);
        Assert.Equal(["b", "c"], result["metadata"]!["finalizers"]!.AsArray().Select(f => (string)f!).Order());
        Assert.Equal(["1", "2"], result["metadata"]!["ownerReferences"]!.AsArray().Select(o => (string)o!["uid"]!).Order());
    }

    [Fact]
    public void ManagementKinds_HaveNoStrategicMergePatch()
    {
        Assert.Null(StrategicMergeKeys.For(ResourceRegistry.ManagementGroup, "Setting"));
        Assert.NotNull(StrategicMergeKeys.For("", "ConfigMap"));
    }

    [Fact]
    public void Apply_WithAHugeMergingList_TakesLinearTime()
    {
        // 100,000 new elements: a quadratic key lookup would take minutes, a linear one well under a second.
        var elements = new JsonArray();
        for (int i = 0; i < 100_000; i++)
        {
            elements.Add(new JsonObject { ["name"] = "c" + i });
        }

        var timer = System.Diagnostics.Stopwatch.StartNew();
        JsonObject result = StrategicMergePatch.Apply(Parse("""{"mergingList":[{"name":"c5","value":1}]}"""), new JsonObject { ["mergingList"] = elements }, MergeItem);
        Assert.Equal(100_000, result["mergingList"]!.AsArray().Count);
        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(10), $"took {timer.Elapsed}");
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
