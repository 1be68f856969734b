using System.Text.Json.Nodes;

namespace Appliance.Clusters.Controllers;

/// <summary>A Cluster's status conditions (Connected, Ready, Synced), written by more than one controller.</summary>
internal static class ClusterConditions
{
    /// <summary>Sets one condition; its lastTransitionTime moves only when its status changes.</summary>
    public static void Set(JsonObject status, string type, bool value, string reason, string message, string now)
    {
        JsonArray conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        string text = value ? "True" : "False";
        foreach (JsonNode? node in conditions)
        {
            if (node is JsonObject condition && condition["type"]?.GetValue<string>() == type)
            {
                if (condition["status"]?.GetValue<string>() != text)
                {
                    condition["lastTransitionTime"] = now;
                }

                condition["status"] = text;
                condition["reason"] = reason;
                condition["message"] = message;
                return;
            }
        }

        conditions.Add((JsonNode)new JsonObject { ["type"] = type, ["status"] = text, ["reason"] = reason, ["message"] = message, ["lastTransitionTime"] = now });
    }
}
