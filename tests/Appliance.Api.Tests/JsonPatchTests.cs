using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Api.Tests;

/// <summary>The JSON patch algorithm alone; the examples are RFC 6902's appendix A.</summary>
public sealed class JsonPatchTests
{
    [Theory]
    [InlineData("A.1 add an object member", """{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"baz":"qux","foo":"bar"}""")]
    [InlineData("A.2 add an array element", """{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    [InlineData("A.3 remove an object member", """{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    [InlineData("A.4 remove an array element", """{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    [InlineData("A.5 replace a value", """{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    [InlineData("A.6 move a value", """{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    [InlineData("A.7 move an array element", """{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    [InlineData("A.8 test success", """{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""")]
    [InlineData("A.10 add a nested member object", """{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")]
    [InlineData("A.11 ignore unrecognized members", """{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux","xyz":123}]""", """{"foo":"bar","baz":"qux"}""")]
    [InlineData("A.14 ~ escape ordering", """{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10}]""", """{"/":9,"~1":10}""")]
    [InlineData("A.16 add an array value", """{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")]
    [InlineData("copy", """{"a":{"b":1}}""", """[{"op":"copy","from":"/a","path":"/c"},{"op":"replace","path":"/c/b","value":2}]""", """{"a":{"b":1},"c":{"b":2}}""")]
    [InlineData("~1 is a slash in a key", """{"metadata":{"labels":{"app.kubernetes.io/name":"x"}}}""", """[{"op":"replace","path":"/metadata/labels/app.kubernetes.io~1name","value":"y"}]""", """{"metadata":{"labels":{"app.kubernetes.io/name":"y"}}}""")]
    [InlineData("add replaces an existing member", """{"a":1}""", """[{"op":"add","path":"/a","value":2}]""", """{"a":2}""")]
    [InlineData("add at the end index appends", """{"a":[1]}""", """[{"op":"add","path":"/a/1","value":2}]""", """{"a":[1,2]}""")]
    [InlineData("remove of a null member", """{"a":null,"b":1}""", """[{"op":"remove","path":"/a"}]""", """{"b":1}""")]
    [InlineData("remove the right null in an array", """{"a":[null,1,null]}""", """[{"op":"remove","path":"/a/2"}]""", """{"a":[null,1]}""")]
    [InlineData("test compares numbers by value", """{"a":1}""", """[{"op":"test","path":"/a","value":1.0}]""", """{"a":1}""")]
    [InlineData("test compares objects regardless of member order", """{"a":{"x":1,"y":2}}""", """[{"op":"test","path":"/a","value":{"y":2,"x":1}}]""", """{"a":{"x":1,"y":2}}""")]
    [InlineData("replace the whole document", """{"a":1}""", """[{"op":"replace","path":"","value":{"b":2}}]""", """{"b":2}""")]
    [InlineData("move to the same place", """{"a":1}""", """[{"op":"move","from":"/a","path":"/a"}]""", """{"a":1}""")]
    [InlineData("operations see earlier ones", """{}""", """[{"op":"add","path":"/a","value":{}},{"op":"add","path":"/a/b","value":[]},{"op":"add","path":"/a/b/-","value":1},{"op":"test","path":"/a/b/0","value":1}]""", """{"a":{"b":[1]}}""")]
    [InlineData("an empty patch changes nothing", """{"a":1}""", """[]""", """{"a":1}""")]
    public void Apply_GivesTheRfcResult(string example, string document, string patch, string expected)
    {
        JsonNode? result = Apply(document, patch);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), $"{example}: {result?.ToJsonString()}");
    }

    [Theory]
    [InlineData("A.9 a failing test", """{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""", "testing value /baz failed")]
    [InlineData("A.12 add to a missing parent", """{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""", "doc is missing path: \"/baz/bat\"")]
    [InlineData("A.15 a string is not a number", """{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":"10"}]""", "testing value /~01 failed")]
    [InlineData("remove of a missing member", """{"a":1}""", """[{"op":"remove","path":"/b"}]""", "doc is missing path: \"/b\"")]
    [InlineData("replace of a missing member", """{"a":1}""", """[{"op":"replace","path":"/b","value":1}]""", "doc is missing path: \"/b\"")]
    [InlineData("test of a missing member", """{"a":1}""", """[{"op":"test","path":"/b","value":null}]""", "doc is missing path: \"/b\"")]
    [InlineData("an index past the end", """{"a":[1]}""", """[{"op":"add","path":"/a/2","value":2}]""", "is not a valid index")]
    [InlineData("a leading zero is no index", """{"a":[1,2]}""", """[{"op":"replace","path":"/a/01","value":2}]""", "doc is missing path")]
    [InlineData("a negative index", """{"a":[1,2]}""", """[{"op":"remove","path":"/a/-1"}]""", "doc is missing path")]
    [InlineData("- only appends", """{"a":[1]}""", """[{"op":"remove","path":"/a/-"}]""", "doc is missing path")]
    [InlineData("a path through a string", """{"a":"text"}""", """[{"op":"add","path":"/a/b","value":1}]""", "doc is missing path")]
    [InlineData("a path without a leading slash", """{"a":1}""", """[{"op":"replace","path":"a","value":2}]""", "is not a JSON pointer")]
    [InlineData("a bad ~ escape", """{"a":1}""", """[{"op":"remove","path":"/~2"}]""", "invalid '~' escape")]
    [InlineData("move into itself", """{"a":{"b":1}}""", """[{"op":"move","from":"/a","path":"/a/c"}]""", "cannot be moved into itself")]
    [InlineData("an unknown op", """{"a":1}""", """[{"op":"merge","path":"/a","value":1}]""", "Unexpected kind: merge")]
    [InlineData("no op", """{"a":1}""", """[{"path":"/a","value":1}]""", "Unexpected kind: unknown")]
    [InlineData("no path", """{"a":1}""", """[{"op":"add","value":1}]""", "has no \"path\"")]
    [InlineData("no value", """{"a":1}""", """[{"op":"add","path":"/b"}]""", "has no value")]
    [InlineData("removing the document", """{"a":1}""", """[{"op":"remove","path":""}]""", "the whole document cannot be removed")]
    public void Apply_ThatDoesNotFit_FailsWithTheReason(string example, string document, string patch, string reason)
    {
        PatchException e = Assert.Throws<PatchException>(() => Apply(document, patch));
        Assert.False(e.Malformed, example);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("A.13 duplicate members", """[{"op":"add","path":"/baz","value":"qux","op":"remove"}]""")]
    [InlineData("not JSON", """[{"op":""")]
    [InlineData("an object, not an array", """{"op":"add","path":"/a","value":1}""")]
    [InlineData("an array of strings", """["add"]""")]
    public void Parse_OfAMalformedPatch_IsMalformed(string example, string patch)
    {
        PatchException e = Assert.Throws<PatchException>(() => JsonPatch.Parse(Encoding.UTF8.GetBytes(patch)));
        Assert.True(e.Malformed, example);
    }

    [Fact]
    public void Apply_ThatFailsLate_IsAllOrNothingForTheCallersCopy()
    {
        // The engine applies the patch to a copy, so a failure leaves the stored object alone; the
        // failure itself must come from the failing operation, after the first one ran.
        var document = new JsonObject { ["a"] = 1 };
        PatchException e = Assert.Throws<PatchException>(() => JsonPatch.Apply(document, JsonPatch.Parse("""[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":3}]"""u8)));
        Assert.Contains("testing value /a failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Copy_BeyondTheCopyLimit_Fails()
    {
        // Each copy of /a into itself doubles it: 3 MiB is passed after about 12 copies of a 1 KiB value.
        List<string> operations = [$$"""{"op":"add","path":"/a","value":["{{new string('x', 1024)}}"]}"""];
        operations.AddRange(Enumerable.Repeat("""{"op":"copy","from":"/a","path":"/a/-"}""", 20));
        PatchException e = Assert.Throws<PatchException>(() => Apply("{}", "[" + string.Join(",", operations) + "]"));
        Assert.Contains("exceeding the limit 3145728", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Copy_WithinTheCopyLimit_Succeeds()
    {
        string patch = """[{"op":"add","path":"/a","value":["x"]},{"op":"copy","from":"/a","path":"/b"},{"op":"copy","from":"/b","path":"/c"}]""";
        JsonNode? result = Apply("{}", patch);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":["x"],"b":["x"],"c":["x"]}"""), result));
    }

    [Fact]
    public void Add_NestingDeeperThanTheLimit_Fails()
    {
        // Each add nests 40 levels under the previous one: the second passes 64.
        string deep = new string('[', 40) + new string(']', 40);
        string patch = $$"""[{"op":"add","path":"/a","value":{{deep}}},{"op":"add","path":"/a{{string.Concat(Enumerable.Repeat("/0", 39))}}/-","value":{{deep}}}]""";
        PatchException e = Assert.Throws<PatchException>(() => Apply("{}", patch));
        Assert.Contains("deeper than 64 levels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_NestingUpToTheLimit_Succeeds()
    {
        string deep = new string('[', 20) + new string(']', 20);
        string patch = $$"""[{"op":"add","path":"/a","value":{{deep}}},{"op":"add","path":"/a{{string.Concat(Enumerable.Repeat("/0", 19))}}/-","value":{{deep}}}]""";
        JsonNode? result = Apply("{}", patch);
        Assert.Equal(40, Depth(result!["a"]));
    }

    [Fact]
    public void Move_StackingSubtreesDeeperThanTheLimit_FailsOnTheResult()
    {
        // Each pair of moves nests /a one level deeper under a fresh object; no operation alone is deep,
        // the result is (and it is measured without recursion however deep it got).
        List<string> operations = [];
        for (int i = 0; i < 2_000; i++)
        {
            operations.Add("""{"op":"add","path":"/b","value":{}}""");
            operations.Add("""{"op":"move","from":"/a","path":"/b/a"}""");
            operations.Add("""{"op":"move","from":"/b","path":"/a"}""");
        }

        PatchException e = Assert.Throws<PatchException>(() => Apply("""{"a":{}}""", "[" + string.Join(",", operations) + "]"));
        Assert.Contains("deeper than 64 levels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_DeepOnlyWhileItRuns_Succeeds()
    {
        string deep = new string('[', 40) + new string(']', 40);
        string patch = $$"""[{"op":"add","path":"/a","value":{{deep}}},{"op":"add","path":"/a{{string.Concat(Enumerable.Repeat("/0", 39))}}/-","value":{{deep}}},{"op":"remove","path":"/a"}]""";
        JsonNode? result = Apply("""{"b":1}""", patch);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"b":1}"""), result));
    }

    [Fact]
    public void Copy_OfASubtreeTooDeepForItsDestination_Fails()
    {
        string deep = new string('[', 40) + new string(']', 40);
        string patch = $$"""[{"op":"add","path":"/a","value":{{deep}}},{"op":"copy","from":"/a","path":"/a{{string.Concat(Enumerable.Repeat("/0", 39))}}/-"}]""";
        PatchException e = Assert.Throws<PatchException>(() => Apply("{}", patch));
        Assert.Contains("deeper than 64 levels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_LeavesThePatchReusable()
    {
        // The engine re-applies the same parsed patch after a lost compare-and-swap.
        JsonArray operations = JsonPatch.Parse("""[{"op":"add","path":"/a","value":{"b":1}}]"""u8);
        JsonNode? first = JsonPatch.Apply(new JsonObject(), operations);
        JsonNode? second = JsonPatch.Apply(new JsonObject(), operations);
        first!["a"]!["b"] = 2;
        Assert.Equal(1, (int)second!["a"]!["b"]!);
    }

    private static JsonNode? Apply(string document, string patch)
        => JsonPatch.Apply(JsonNode.Parse(document), JsonPatch.Parse(Encoding.UTF8.GetBytes(patch)));

    private static int Depth(JsonNode? node) => node is JsonArray array ? 1 + array.Select(Depth).DefaultIfEmpty(0).Max() : 0;
}
