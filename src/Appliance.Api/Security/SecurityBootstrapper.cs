using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Appliance.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Api.Security;

/// <summary>
/// On start, creates what a server needs before anyone can sign in: the default RBAC objects, the
/// <c>appliance-system</c> namespace, and the local <c>admin</c> user bound to cluster-admin
/// (ClusterRoleBinding <c>appliance-admin</c>) with a random bootstrap password it must change.
/// Idempotent: existing objects, edited or not, are left alone.
/// </summary>
public sealed class SecurityBootstrapper(IServiceProvider services) : IHostedService
{
    public const string AdminUsername = "admin";
    public const string AdminBindingName = "appliance-admin";

    private const string PasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    private const int PasswordLength = 24;

    private string? _adminUserId;

    /// <summary>The admin User's name (<c>u-xxxxx</c>), known once the host has started.</summary>
    public string AdminUserId => _adminUserId ?? throw new InvalidOperationException("The admin user is created when the host starts.");

    /// <summary>The admin's first password, set only by the start that created the admin (the host hands it over once).</summary>
    public string? BootstrapPassword { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ResourceEngine engine = services.GetRequiredService<ResourceEngine>();
        foreach ((string resource, JsonObject obj) in DefaultRbac.Objects())
        {
            await CreateIfMissingAsync(engine, ResourceRegistry.RbacGroup, resource, obj).ConfigureAwait(false);
        }

        await CreateIfMissingAsync(engine, "", "namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = LocalPasswords.SystemNamespace } }).ConfigureAwait(false);
        _adminUserId = FindUser(services.GetRequiredService<KeyValueStore>(), AdminUsername);
        if (_adminUserId is null)
        {
            _adminUserId = await CreateAdminAsync(engine).ConfigureAwait(false);
            BootstrapPassword = RandomNumberGenerator.GetString(PasswordAlphabet, PasswordLength);
            await services.GetRequiredService<LocalPasswords>().SetAsync(_adminUserId, BootstrapPassword).ConfigureAwait(false);
        }

        await CreateIfMissingAsync(engine, ResourceRegistry.RbacGroup, "clusterrolebindings",
            DefaultRbac.ClusterRoleBinding(AdminBindingName, "cluster-admin", "User", _adminUserId)).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task<string> CreateAdminAsync(ResourceEngine engine)
    {
        ResourceDefinition users = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "users")!;
        while (true)
        {
            // Rancher-style local user id; the principal id names it, so the name is chosen here, not generated.
            string id = "u-" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 5);
            var user = new JsonObject
            {
                ["apiVersion"] = ResourceRegistry.ManagementGroup + "/v1",
                ["kind"] = "User",
                ["metadata"] = new JsonObject { ["name"] = id },
                ["username"] = AdminUsername,
                ["displayName"] = "Default Admin",
                ["principalIds"] = new JsonArray((JsonNode)("local://" + id)),
                ["mustChangePassword"] = true,
            };
            try
            {
                await engine.CreateAsync(users, null, user, dryRun: false).ConfigureAwait(false);
                return id;
            }
            catch (ApiException e) when (e.Status.Reason == "AlreadyExists")
            {
            }
        }
    }

    /// <summary>The name of the User whose <c>username</c> is <paramref name="username"/>, if any.</summary>
    private static string? FindUser(KeyValueStore store, string username)
    {
        RangeResult users = store.Range("/registry/" + ResourceRegistry.ManagementGroup + "/users/");
        foreach (KeyValue item in users.Items)
        {
            if (JsonNode.Parse(item.Value) is JsonObject user && user["username"]?.GetValue<string>() == username)
            {
                return user["metadata"]?["name"]?.GetValue<string>();
            }
        }

        return null;
    }

    private static async Task CreateIfMissingAsync(ResourceEngine engine, string group, string resource, JsonObject obj)
    {
        try
        {
            await engine.CreateAsync(engine.Registry.Find(group, "v1", resource)!, null, obj, dryRun: false).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Status.Reason == "AlreadyExists")
        {
        }
    }
}
