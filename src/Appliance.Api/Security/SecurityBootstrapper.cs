using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Api.Security;

/// <summary>
/// On start, creates what a server needs before anyone can sign in: the default RBAC objects (and Rancher's
/// GlobalRole <c>admin</c>), the <c>appliance-system</c> namespace, and the local <c>admin</c> user bound to cluster-admin
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

        await CreateIfMissingAsync(engine, ResourceRegistry.ManagementGroup, "globalroles", DefaultRbac.GlobalRoleAdmin()).ConfigureAwait(false);
        await CreateIfMissingAsync(engine, "", "namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = LocalPasswords.SystemNamespace } }).ConfigureAwait(false);
        UserAccounts users = services.GetRequiredService<UserAccounts>();
        _adminUserId = FindLocalUser(users, AdminUsername);
        if (_adminUserId is null)
        {
            _adminUserId = await CreateAdminAsync(users).ConfigureAwait(false);
            BootstrapPassword = RandomNumberGenerator.GetString(PasswordAlphabet, PasswordLength);
            await services.GetRequiredService<LocalPasswords>().SetAsync(_adminUserId, BootstrapPassword).ConfigureAwait(false);
        }

        await CreateIfMissingAsync(engine, ResourceRegistry.RbacGroup, "clusterrolebindings",
            DefaultRbac.ClusterRoleBinding(AdminBindingName, "cluster-admin", "User", _adminUserId)).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Rancher-style local user id; the principal id names it, so the name is chosen before the object is made.
    private static Task<string> CreateAdminAsync(UserAccounts users) => users.CreateAsync(static id => new JsonObject
    {
        ["username"] = AdminUsername,
        ["displayName"] = "Default Admin",
        ["principalIds"] = new JsonArray((JsonNode)("local://" + id)),
        ["mustChangePassword"] = true,
    });

    /// <summary>
    /// The name of the local User whose <c>username</c> is <paramref name="username"/>, if any: a directory
    /// user called admin is not the admin, and must never be bound to cluster-admin here.
    /// </summary>
    private static string? FindLocalUser(UserAccounts users, string username)
    {
        foreach (JsonObject user in users.All())
        {
            if (FieldRules.Text(user["username"]) == username && UserAccounts.IsLocalAccount(user))
            {
                return FieldRules.Text(user["metadata"]?["name"]);
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
