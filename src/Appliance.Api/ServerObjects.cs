using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// The server's own reads and writes of API objects, for parts outside this project (the cluster
/// controllers): the same validation, defaults, finalizers and encryption at rest as a client's request,
/// without HTTP or RBAC. Kinds are named by group and plural resource (<c>"management.appliance.io", "clusters"</c>).
/// Failures are <see cref="ApiException"/>s carrying the Status a client would have got.
/// </summary>
public sealed class ServerObjects(ResourceEngine engine)
{
    /// <summary>The store key prefix of a kind, to watch it (<c>/registry/{group}/{resource}/</c>).</summary>
    public string KeyPrefix(string group, string resource) => Definition(group, resource).KeyPrefix;

    public JsonObject? Get(string group, string resource, string? namespaceName, string name)
        => engine.Find(Definition(group, resource), namespaceName, name);

    /// <summary>Every object of the kind (in one namespace, or all namespaces when null) at one revision.</summary>
    public (List<JsonObject> Items, long Revision) List(string group, string resource, string? namespaceName = null)
        => engine.FindAll(Definition(group, resource), namespaceName);

    public Task<JsonObject> CreateAsync(string group, string resource, string? namespaceName, JsonObject obj)
        => engine.CreateAsync(Definition(group, resource), namespaceName, obj, dryRun: false);

    /// <summary>Read-modify-write of the object (status kept as stored for kinds with a status subresource); 404 ApiException when gone.</summary>
    public Task<JsonObject> UpdateAsync(string group, string resource, string? namespaceName, string name, Func<JsonObject, JsonObject> produce)
        => engine.ReplaceAsync(Definition(group, resource), namespaceName, name, produce);

    /// <summary>Read-modify-write of the object's status only.</summary>
    public Task<JsonObject> UpdateStatusAsync(string group, string resource, string? namespaceName, string name, Func<JsonObject, JsonObject> produce)
        => engine.ReplaceStatusAsync(Definition(group, resource), namespaceName, name, produce);

    /// <summary>Deletes (or, with finalizers, marks for deletion); false when it did not exist.</summary>
    public Task<bool> DeleteAsync(string group, string resource, string? namespaceName, string name)
        => engine.DeleteAsync(Definition(group, resource), namespaceName, name);

    private ResourceDefinition Definition(string group, string resource)
        => engine.Registry.Find(group, "v1", resource) ?? throw new ArgumentException($"no kind {resource} in group '{group}' version v1", nameof(resource));
}
