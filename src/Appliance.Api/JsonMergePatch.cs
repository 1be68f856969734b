using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>JSON merge patch (RFC 7386): objects merge recursively, null deletes, anything else replaces.</summary>
internal static class JsonMergePatch
{
    /// <summary>
    /// Applies <paramref name="patch"/> to <paramref name="target"/> in place. With
    /// <paramref name="dropDirectives"/>, strategic-merge-patch directives (keys starting with <c>$</c>,
    /// e.g. <c>$setElementOrder/...</c>, <c>$retainKeys</c>) are ignored instead of stored.
    /// </summary>
    public static void Apply(JsonObject target, JsonObject patch, bool dropDirectives)
    {
        foreach ((string key, JsonNode? value) in patch)
        {
            if (dropDirectives && key.StartsWith('$'))
            {
                continue;
            }

            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchObject)
            {
                if (target[key] is not JsonObject targetObject)
                {
                    targetObject = new JsonObject();
                    target[key] = targetObject;
                }

                Apply(targetObject, patchObject, dropDirectives);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }
}
