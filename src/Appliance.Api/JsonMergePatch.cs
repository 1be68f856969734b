using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>JSON merge patch (RFC 7386): objects merge recursively, null deletes, anything else replaces.</summary>
internal static class JsonMergePatch
{
    /// <summary>Applies <paramref name="patch"/> to <paramref name="target"/> in place and returns it.</summary>
    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        foreach ((string key, JsonNode? value) in patch)
        {
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

                Apply(targetObject, patchObject);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }

        return target;
    }
}
