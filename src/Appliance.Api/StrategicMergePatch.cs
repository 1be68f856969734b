using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// Strategic merge patch as kube-apiserver applies it (apimachinery <c>strategicpatch.StrategicMergeMapPatch</c>):
/// maps merge recursively and <c>null</c> deletes; lists with a <see cref="MergeList"/> rule merge (objects
/// by their merge key, primitives as a set), other lists are replaced; and the directives kubectl sends:
/// <c>$patch: replace|delete</c> on a map, <c>$patch: replace|delete</c> elements in a merged list,
/// <c>$deleteFromPrimitiveList/f</c>, <c>$setElementOrder/f</c> and <c>$retainKeys</c>. Unknown
/// <c>$</c>-keys are dropped, as kube-apiserver's typed decoding drops them.
/// </summary>
/// <remarks>
/// Lookups go through dictionaries keyed by the merge key's JSON text, not apimachinery's linear scans,
/// so a patch with a huge list costs time linear in its size.
/// </remarks>
internal static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";
    private const string SetElementOrderPrefix = "$setElementOrder/";

    /// <summary>
    /// Applies <paramref name="patch"/> to <paramref name="original"/>, which is changed in place (pass a
    /// copy), and returns the result. <paramref name="lists"/> are the kind's merged lists
    /// (<see cref="StrategicMergeKeys"/>). Throws <see cref="PatchException"/>.
    /// </summary>
    public static JsonObject Apply(JsonObject original, JsonObject patch, FrozenDictionary<string, MergeList> lists)
        => MergeMap(original, patch, "", lists);

    private static JsonObject MergeMap(JsonObject original, JsonObject patch, string path, FrozenDictionary<string, MergeList> lists)
    {
        if (patch.TryGetPropertyValue(PatchDirective, out JsonNode? directive))
        {
            return Text(directive) switch
            {
                "replace" => MergeFields(new JsonObject(), patch, path, lists),
                "delete" => new JsonObject(),
                _ => throw Malformed($"unknown patch type: {directive?.ToJsonString()} in map at \"{path}\""),
            };
        }

        return MergeFields(original, patch, path, lists);
    }

    private static JsonObject MergeFields(JsonObject original, JsonObject patch, string path, FrozenDictionary<string, MergeList> lists)
    {
        if (patch.TryGetPropertyValue(RetainKeysDirective, out JsonNode? retainKeys))
        {
            RetainKeys(original, patch, retainKeys);
        }

        // $setElementOrder merges its list itself, before the other fields, as apimachinery does.
        var ordered = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string key, JsonNode? order) in patch)
        {
            if (key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                string field = key[SetElementOrderPrefix.Length..];
                SetElementOrder(original, patch, field, order, Child(path, field), lists);
                ordered.Add(field);
            }
        }

        foreach ((string key, JsonNode? value) in patch)
        {
            if (key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                DeleteFromPrimitiveList(original, key[DeleteFromPrimitiveListPrefix.Length..], value);
                continue;
            }

            if (key.StartsWith('$') || ordered.Contains(key))
            {
                continue;
            }

            if (value is null)
            {
                original.Remove(key);
                continue;
            }

            string childPath = Child(path, key);
            original.TryGetPropertyValue(key, out JsonNode? current);
            JsonNode merged = (current, value) switch
            {
                (JsonObject currentObject, JsonObject patchObject) => MergeMap(currentObject, patchObject, childPath, lists),
                (JsonArray currentList, JsonArray patchList) => MergeList(currentList, patchList, childPath, lists),
                _ => Fresh(value, childPath, lists),
            };
            if (!ReferenceEquals(merged, current))
            {
                original[key] = merged;
            }
        }

        return original;
    }

    /// <summary>A patch value for a field the original lacks (or has with another type): its directives still apply.</summary>
    private static JsonNode Fresh(JsonNode value, string path, FrozenDictionary<string, MergeList> lists) => value switch
    {
        JsonObject patchObject => MergeMap(new JsonObject(), patchObject, path, lists),
        JsonArray patchList => MergeList(new JsonArray(), patchList, path, lists),
        _ => value.DeepClone(),
    };

    private static JsonArray MergeList(JsonArray original, JsonArray patch, string path, FrozenDictionary<string, MergeList> lists)
    {
        if (!lists.TryGetValue(path, out MergeList rule))
        {
            return (JsonArray)patch.DeepClone();
        }

        if (original.Count == 0 && patch.Count == 0)
        {
            return original;
        }

        bool objects = ElementsAreObjects(original, patch, path);
        if (objects != (rule.MergeKey is not null))
        {
            throw Malformed(objects
                ? $"cannot merge lists without merge key for \"{path}\""
                : $"the elements of \"{path}\" must be objects with the merge key \"{rule.MergeKey}\"");
        }

        List<JsonNode?> serverOrder = Detach(original);
        List<JsonNode?> patchOrder;
        List<JsonNode?> merged;
        if (!objects)
        {
            // A set of primitives: the union, without duplicates.
            patchOrder = [.. patch.Select(static value => value?.DeepClone())];
            var seen = new HashSet<string>(StringComparer.Ordinal);
            merged = [.. serverOrder.Concat(patchOrder).Where(value => seen.Add(KeyText(value, null)))];
        }
        else
        {
            (merged, patchOrder, serverOrder) = MergeObjects(serverOrder, patch, rule.MergeKey!, path, lists);
        }

        return Refill(original, Order(merged, patchOrder, serverOrder, rule.MergeKey, []));
    }

    /// <summary>
    /// Merges a patch list of objects into the original's elements by merge key: <c>$patch: delete</c>
    /// elements remove their match, <c>$patch: replace</c> makes the patch's elements the whole list.
    /// Returns the merged elements, the patch's own elements (their order wins) and the server's order
    /// (what is left of the original; after a replace, the patch's).
    /// </summary>
    private static (List<JsonNode?> Merged, List<JsonNode?> PatchOrder, List<JsonNode?> ServerOrder) MergeObjects(
        List<JsonNode?> original, JsonArray patch, string mergeKey, string path, FrozenDictionary<string, MergeList> lists)
    {
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        var plain = new List<JsonObject>();
        bool replace = false;
        foreach (JsonNode? node in patch)
        {
            var element = (JsonObject)node!;
            if (!element.TryGetPropertyValue(PatchDirective, out JsonNode? directive))
            {
                plain.Add(element);
                continue;
            }

            switch (Text(directive))
            {
                case "delete":
                    deleted.Add(KeyText(element, mergeKey));
                    break;
                case "replace":
                    replace = true;
                    break;
                case "merge":
                    throw Malformed("merging lists cannot yet be specified in the patch");
                default:
                    throw Malformed($"unknown patch type: {directive?.ToJsonString()} in list \"{path}\"");
            }
        }

        List<JsonNode?> kept = replace ? [] : [.. original.Where(element => !deleted.Contains(KeyText(element, mergeKey)))];
        List<JsonNode?> merged = [.. kept];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < merged.Count; i++)
        {
            index.TryAdd(KeyText(merged[i], mergeKey), i);
        }

        var patchOrder = new List<JsonNode?>(plain.Count);
        foreach (JsonObject element in plain)
        {
            string key = KeyText(element, mergeKey);
            if (index.TryGetValue(key, out int at))
            {
                merged[at] = MergeMap((JsonObject)merged[at]!, element, path, lists);
            }
            else
            {
                index.Add(key, merged.Count);
                merged.Add(MergeMap(new JsonObject(), element, path, lists));
            }

            patchOrder.Add(merged[index[key]]);
        }

        // After a replace the patch's elements are the list, in the patch's order.
        return replace ? (merged, [], merged) : (merged, patchOrder, kept);
    }

    /// <summary>
    /// <c>$setElementOrder/field</c>: merges the field's patch list (if any) and orders the result as the
    /// directive lists it; elements it does not list keep their place relative to the original.
    /// </summary>
    private static void SetElementOrder(JsonObject original, JsonObject patch, string field, JsonNode? orderNode, string path, FrozenDictionary<string, MergeList> lists)
    {
        if (orderNode is not JsonArray order)
        {
            throw Malformed($"invalid patch format of $setElementOrder/{field}: it must be a list");
        }

        original.TryGetPropertyValue(field, out JsonNode? currentNode);
        bool inPatch = patch.TryGetPropertyValue(field, out JsonNode? patchNode);
        if (currentNode is null && !inPatch)
        {
            return;
        }

        if ((currentNode is not null and not JsonArray) || (inPatch && patchNode is not JsonArray))
        {
            throw Malformed($"$setElementOrder/{field} applies to a field that is not a list");
        }

        var current = currentNode as JsonArray;
        var patchList = patchNode as JsonArray;
        string? mergeKey = lists.TryGetValue(path, out MergeList rule) ? rule.MergeKey : null;
        if (patchList is not null)
        {
            ValidateOrder(patchList, order, mergeKey, field);
        }

        List<JsonNode?> serverOrder = current is null ? [] : [.. current];
        JsonArray merged = current is null ? MergeList(new JsonArray(), patchList!, path, lists)
            : patchList is null ? current
            : MergeList(current, patchList, path, lists);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonNode? element in order)
        {
            if (element is JsonObject obj && Text(obj[PatchDirective]) == "delete")
            {
                deleted.Add(KeyText(obj, mergeKey));
            }
        }

        List<JsonNode?> elements = Detach(merged);
        original[field] = Refill(merged, Order(elements, [.. order], serverOrder, mergeKey, deleted));
    }

    /// <summary>
    /// apimachinery's element order: elements named by <paramref name="patchOrder"/> in its order,
    /// the others in the server's order, the two interleaved as the server's order allows.
    /// </summary>
    private static List<JsonNode?> Order(List<JsonNode?> elements, List<JsonNode?> patchOrder, List<JsonNode?> serverOrder, string? mergeKey, HashSet<string> deleted)
    {
        Dictionary<string, int> patchIndex = IndexOf(patchOrder, mergeKey);
        Dictionary<string, int> serverIndex = IndexOf(serverOrder, mergeKey);
        var fromPatch = new List<(JsonNode? Element, string Key)>();
        var serverOnly = new List<(JsonNode? Element, string Key)>();
        foreach (JsonNode? element in elements)
        {
            string key = KeyText(element, mergeKey);
            if (!deleted.Contains(key))
            {
                (patchIndex.ContainsKey(key) ? fromPatch : serverOnly).Add((element, key));
            }
        }

        // OrderBy is stable: server-only elements the server's order does not know keep their place, last.
        List<(JsonNode? Element, string Key)> left = [.. serverOnly.OrderBy(e => serverIndex.GetValueOrDefault(e.Key, int.MaxValue))];
        List<(JsonNode? Element, string Key)> right = [.. fromPatch.OrderBy(e => patchIndex[e.Key])];
        var result = new List<JsonNode?>(left.Count + right.Count);
        int l = 0, r = 0;
        while (l < left.Count || r < right.Count)
        {
            bool takeLeft = r >= right.Count
                || (l < left.Count
                    && serverIndex.TryGetValue(left[l].Key, out int li)
                    && serverIndex.TryGetValue(right[r].Key, out int ri)
                    && li < ri);
            result.Add(takeLeft ? left[l++].Element : right[r++].Element);
        }

        return result;
    }

    /// <summary>apimachinery's check that the patch list names its elements in the directive's order.</summary>
    private static void ValidateOrder(JsonArray patchList, JsonArray order, string? mergeKey, string field)
    {
        List<string> patchKeys = [.. patchList.Where(static e => e is not JsonObject obj || !obj.ContainsKey(PatchDirective)).Select(e => KeyText(e, mergeKey))];
        int p = 0;
        for (int s = 0; p < patchKeys.Count && s < order.Count; s++)
        {
            if (patchKeys[p] == KeyText(order[s], mergeKey))
            {
                p++;
            }
        }

        if (p < patchKeys.Count)
        {
            throw Malformed($"the order in the patch list of \"{field}\" doesn't match its $setElementOrder list");
        }
    }

    private static void DeleteFromPrimitiveList(JsonObject original, string field, JsonNode? value)
    {
        if (value is not JsonArray remove)
        {
            throw Malformed($"invalid patch format of $deleteFromPrimitiveList/{field}: it must be a list");
        }

        if (original[field] is JsonArray list)
        {
            var removed = new HashSet<string>(remove.Select(static v => KeyText(v, null)), StringComparer.Ordinal);
            Refill(list, [.. Detach(list).Where(v => !removed.Contains(KeyText(v, null)))]);
        }
    }

    /// <summary>Keeps only the fields <c>$retainKeys</c> names; the patch may set no other field.</summary>
    private static void RetainKeys(JsonObject original, JsonObject patch, JsonNode? retainKeys)
    {
        if (retainKeys is not JsonArray names || names.Any(static n => Text(n) is null))
        {
            throw Malformed("invalid patch format of retainKeys: it must be a list of field names");
        }

        var keep = new HashSet<string>(names.Select(static n => Text(n)!), StringComparer.Ordinal);
        foreach ((string key, JsonNode? value) in patch)
        {
            if (value is not null && !key.StartsWith('$') && !keep.Contains(key))
            {
                throw new PatchException($"patch content doesn't match retainKeys list: \"{key}\" is not retained");
            }
        }

        foreach (string key in original.Select(static p => p.Key).Where(k => !keep.Contains(k)).ToList())
        {
            original.Remove(key);
        }
    }

    /// <summary>True when the elements are objects, false when primitives; lists of lists and mixtures are refused.</summary>
    private static bool ElementsAreObjects(JsonArray original, JsonArray patch, string path)
    {
        bool? objects = null;
        foreach (JsonNode? element in original.Concat(patch))
        {
            if (element is JsonArray)
            {
                throw new PatchException($"lists of lists are not supported (\"{path}\")");
            }

            bool isObject = element is JsonObject;
            if (objects is not null && objects != isObject)
            {
                throw Malformed($"the elements of \"{path}\" are not all of one type");
            }

            objects = isObject;
        }

        return objects ?? false;
    }

    private static Dictionary<string, int> IndexOf(List<JsonNode?> elements, string? mergeKey)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < elements.Count; i++)
        {
            if (elements[i] is not JsonObject obj || !obj.ContainsKey(PatchDirective))
            {
                index.TryAdd(KeyText(elements[i], mergeKey), i);
            }
        }

        return index;
    }

    /// <summary>
    /// What identifies an element: its merge key's value for objects of a keyed list, else the element
    /// itself, as JSON text with numbers normalized (80 and 80.0 are one port).
    /// </summary>
    private static string KeyText(JsonNode? element, string? mergeKey)
    {
        if (mergeKey is not null && element is JsonObject obj)
        {
            return obj.TryGetPropertyValue(mergeKey, out JsonNode? value)
                ? KeyText(value, null)
                : throw Malformed($"map: {obj.ToJsonString()} does not contain declared merge key: {mergeKey}");
        }

        return element is JsonValue number && number.GetValueKind() == JsonValueKind.Number && number.TryGetValue(out double d)
            ? d.ToString("R", CultureInfo.InvariantCulture)
            : element?.ToJsonString() ?? "null";
    }

    /// <summary>The array's elements, detached from it so they can move to a new place.</summary>
    private static List<JsonNode?> Detach(JsonArray array)
    {
        List<JsonNode?> elements = [.. array];
        array.Clear();
        return elements;
    }

    private static JsonArray Refill(JsonArray array, List<JsonNode?> elements)
    {
        array.Clear();
        foreach (JsonNode? element in elements)
        {
            array.Add(element);
        }

        return array;
    }

    private static string Child(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private static string? Text(JsonNode? node)
        => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static PatchException Malformed(string message) => new(message, malformed: true);
}
