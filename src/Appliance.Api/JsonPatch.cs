using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// JSON patch (RFC 6902) over JSON pointers (RFC 6901), as kube-apiserver applies
/// <c>application/json-patch+json</c>: the operations run in order and the first that fails fails the
/// patch. Array indexes are RFC 6901's (no negative indexes); <c>-</c> appends.
/// </summary>
internal static class JsonPatch
{
    /// <summary>kube-apiserver's bound on the operations of one patch (maxJSONPatchOperations).</summary>
    public const int MaxOperations = 10_000;

    /// <summary>
    /// kube-apiserver's bound on what the <c>copy</c> operations of one patch may add, in bytes of JSON
    /// (JSONPatchMaxCopyBytes; counted here as characters): without it each copy of a copy doubles the object. <c>add</c> needs no
    /// bound of its own: what it adds is in the patch, whose size the request body limit bounds.
    /// </summary>
    public const long MaxCopyBytes = 3 * 1024 * 1024;

    /// <summary>
    /// The deepest a patched document may nest (the parser's and the store serializer's limit). While a
    /// patch runs the document may nest deeper (each move can stack a subtree on another), so nothing
    /// walks it recursively until the result is measured, without recursion; copy measures what it clones.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// How patch bodies are parsed: a duplicate member is an error (RFC 6902 A.13), not an object that
    /// fails later, when first read.
    /// </summary>
    public static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false };

    /// <summary>The operations of a patch body; malformed unless it is a JSON array of objects.</summary>
    public static JsonArray Parse(ReadOnlySpan<byte> body)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body, documentOptions: ParseOptions);
        }
        catch (JsonException e)
        {
            throw new PatchException("the JSON patch is not valid JSON: " + e.Message, malformed: true);
        }

        if (node is not JsonArray operations || operations.Any(static op => op is not JsonObject))
        {
            throw new PatchException("a JSON patch must be an array of operation objects", malformed: true);
        }

        return operations;
    }

    /// <summary>
    /// Applies <paramref name="operations"/> (from <see cref="Parse"/>) to <paramref name="document"/>,
    /// which is changed in place (pass a copy), and returns the result: a new node when an operation
    /// replaced the whole document. Throws <see cref="PatchException"/>.
    /// </summary>
    public static JsonNode? Apply(JsonNode? document, JsonArray operations)
    {
        JsonNode? root = document;
        long copied = 0;
        foreach (JsonNode? node in operations)
        {
            var operation = (JsonObject)node!;
            string op = Text(operation, "op") ?? "unknown";
            root = op switch
            {
                "add" => Add(root, ReadPointer(operation, "path", op), Value(operation, op)),
                "remove" => Remove(root, ReadPointer(operation, "path", op), op),
                "replace" => Replace(root, ReadPointer(operation, "path", op), Value(operation, op)),
                "move" => Move(root, ReadPointer(operation, "from", op), ReadPointer(operation, "path", op)),
                "copy" => Copy(root, ReadPointer(operation, "from", op), ReadPointer(operation, "path", op), ref copied),
                "test" => Test(root, ReadPointer(operation, "path", op), Value(operation, op)),
                _ => throw new PatchException($"Unexpected kind: {op}"),
            };
        }

        if (Measure(root).Depth > MaxDepth)
        {
            throw new PatchException($"the patched object would nest deeper than {MaxDepth} levels");
        }

        return root;
    }

    private static JsonNode? Add(JsonNode? root, JsonPointer path, JsonNode? value)
    {
        if (path.IsRoot)
        {
            return value;
        }

        switch (Parent(root, path, "add"))
        {
            case JsonObject obj:
                obj[path.Last] = value;
                break;
            case JsonArray array when path.Last == "-":
                array.Add(value);
                break;
            case JsonArray array when TryIndex(path.Last, array.Count + 1, out int index):
                array.Insert(index, value);
                break;
            default:
                throw new PatchException($"add operation does not apply: \"{path.Last}\" is not a valid index in \"{path.Text}\"");
        }

        return root;
    }

    /// <summary>Removes the value at <paramref name="path"/>; returns the document.</summary>
    private static JsonNode? Remove(JsonNode? root, JsonPointer path, string op)
    {
        Take(root, path, op);
        return root;
    }

    /// <summary>Removes the value at <paramref name="path"/> and returns it, detached.</summary>
    private static JsonNode? Take(JsonNode? root, JsonPointer path, string op)
    {
        if (path.IsRoot)
        {
            throw new PatchException($"{op} operation does not apply: the whole document cannot be removed");
        }

        JsonNode? removed = Get(root, path, op);
        if (Parent(root, path, op) is JsonObject obj)
        {
            obj.Remove(path.Last);
        }
        else
        {
            ((JsonArray)Parent(root, path, op)).RemoveAt(int.Parse(path.Last, CultureInfo.InvariantCulture));
        }

        return removed;
    }

    private static JsonNode? Replace(JsonNode? root, JsonPointer path, JsonNode? value)
    {
        Get(root, path, "replace");
        if (path.IsRoot)
        {
            return value;
        }

        switch (Parent(root, path, "replace"))
        {
            case JsonObject obj:
                obj[path.Last] = value;
                break;
            case JsonArray array:
                array[int.Parse(path.Last, CultureInfo.InvariantCulture)] = value;
                break;
        }

        return root;
    }

    private static JsonNode? Move(JsonNode? root, JsonPointer from, JsonPointer path)
    {
        if (path.Tokens.Count > from.Tokens.Count && path.Tokens.Take(from.Tokens.Count).SequenceEqual(from.Tokens))
        {
            throw new PatchException($"move operation does not apply: \"{from.Text}\" cannot be moved into itself (\"{path.Text}\")");
        }

        JsonNode? value = Take(root, from, "move");
        return Add(root, path, value);
    }

    private static JsonNode? Copy(JsonNode? root, JsonPointer from, JsonPointer path, ref long copied)
    {
        JsonNode? value = Get(root, from, "copy");
        (int depth, long size) = Measure(value);
        copied += size;
        if (copied > MaxCopyBytes)
        {
            throw new PatchException($"Unable to copy, the accumulated size increase of copy is {copied}, exceeding the limit {MaxCopyBytes}");
        }

        // DeepClone recurses: never on more than the result may hold.
        if (path.Tokens.Count + depth > MaxDepth)
        {
            throw new PatchException($"the patched object would nest deeper than {MaxDepth} levels at \"{path.Text}\"");
        }

        return Add(root, path, value?.DeepClone());
    }

    private static JsonNode? Test(JsonNode? root, JsonPointer path, JsonNode? expected)
        => JsonNode.DeepEquals(Get(root, path, "test"), expected)
            ? root
            : throw new PatchException($"testing value {path.Text} failed: test failed");

    /// <summary>The value at <paramref name="path"/>; it must exist (a null member exists).</summary>
    private static JsonNode? Get(JsonNode? root, JsonPointer path, string op)
    {
        if (path.IsRoot)
        {
            return root;
        }

        return Parent(root, path, op) switch
        {
            JsonObject obj when obj.TryGetPropertyValue(path.Last, out JsonNode? value) => value,
            JsonArray array when TryIndex(path.Last, array.Count, out int index) => array[index],
            _ => throw Missing(op, path),
        };
    }

    /// <summary>The object or array that holds (or is to hold) the last token of <paramref name="path"/>.</summary>
    private static JsonNode Parent(JsonNode? root, JsonPointer path, string op)
    {
        JsonNode? current = root;
        for (int i = 0; i < path.Tokens.Count - 1; i++)
        {
            string token = path.Tokens[i];
            current = current switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out JsonNode? child) => child,
                JsonArray array when TryIndex(token, array.Count, out int index) => array[index],
                _ => throw Missing(op, path),
            };
        }

        return current is JsonObject or JsonArray ? current : throw Missing(op, path);
    }

    /// <summary>An RFC 6901 array index below <paramref name="limit"/>: digits, no leading zero.</summary>
    private static bool TryIndex(string token, int limit, out int index)
    {
        bool canonical = token.Length == 1 || (token.Length > 1 && token[0] != '0');
        if (canonical && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index < limit)
        {
            return true;
        }

        index = -1;
        return false;
    }

    /// <summary>
    /// How deep <paramref name="node"/> nests (0 for a primitive) and about how many bytes it takes as
    /// JSON (characters, unescaped), walked with a stack of its own: the node may be arbitrarily deep.
    /// </summary>
    private static (int Depth, long Size) Measure(JsonNode? node)
    {
        int depth = 0;
        long size = 0;
        var pending = new Stack<(JsonNode? Node, int Depth)>();
        pending.Push((node, 0));
        while (pending.TryPop(out (JsonNode? Node, int Depth) item))
        {
            switch (item.Node)
            {
                case JsonObject obj:
                    depth = Math.Max(depth, item.Depth + 1);
                    size += 2;
                    foreach ((string key, JsonNode? child) in obj)
                    {
                        size += key.Length + 4;
                        pending.Push((child, item.Depth + 1));
                    }

                    break;
                case JsonArray array:
                    depth = Math.Max(depth, item.Depth + 1);
                    size += 2;
                    foreach (JsonNode? child in array)
                    {
                        size++;
                        pending.Push((child, item.Depth + 1));
                    }

                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    size += value.GetValue<string>().Length + 2;
                    break;
                case JsonValue value:
                    size += value.ToJsonString().Length;
                    break;
                default:
                    size += 4;
                    break;
            }
        }

        return (depth, size);
    }

    private static JsonNode? Value(JsonObject operation, string op)
        => operation.TryGetPropertyValue("value", out JsonNode? value)
            ? value?.DeepClone()
            : throw new PatchException($"{op} operation has no value");

    private static JsonPointer ReadPointer(JsonObject operation, string member, string op)
    {
        string text = Text(operation, member) ?? throw new PatchException($"{op} operation has no \"{member}\" string");
        if (text.Length == 0)
        {
            return new JsonPointer(text, []);
        }

        if (text[0] != '/')
        {
            throw new PatchException($"{op} operation does not apply: \"{text}\" is not a JSON pointer (it must start with '/')");
        }

        var tokens = new List<string>();
        foreach (string raw in text[1..].Split('/'))
        {
            tokens.Add(raw.Contains('~', StringComparison.Ordinal) ? Unescape(raw, text, op) : raw);
        }

        return new JsonPointer(text, tokens);
    }

    // RFC 6901: ~1 is '/', ~0 is '~', any other '~' is an error.
    private static string Unescape(string token, string pointer, string op)
    {
        var builder = new StringBuilder(token.Length);
        for (int i = 0; i < token.Length; i++)
        {
            if (token[i] != '~')
            {
                builder.Append(token[i]);
                continue;
            }

            char next = i + 1 < token.Length ? token[++i] : '\0';
            builder.Append(next switch
            {
                '0' => '~',
                '1' => '/',
                _ => throw new PatchException($"{op} operation does not apply: \"{pointer}\" has an invalid '~' escape"),
            });
        }

        return builder.ToString();
    }

    private static PatchException Missing(string op, JsonPointer path)
        => new($"{op} operation does not apply: doc is missing path: \"{path.Text}\": missing value");

    private static string? Text(JsonObject obj, string property)
        => obj[property] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}

/// <summary>A parsed JSON pointer: its text (for messages) and its unescaped reference tokens.</summary>
internal sealed record JsonPointer(string Text, IReadOnlyList<string> Tokens)
{
    public bool IsRoot => Tokens.Count == 0;

    public string Last => Tokens[^1];
}
