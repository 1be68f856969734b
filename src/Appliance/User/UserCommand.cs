using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Appliance.User;

/// <summary>
/// `appliance user add|passwd|disable|enable NAME`: local users of the running server, through its API as the admin of
/// <c>DATA_DIR/admin.kubeconfig</c> or the holder of <c>--token</c>. A user is found by its login name; the password is
/// read from stdin or a prompt (<see cref="PasswordInput"/>), never from the command line, and set with the
/// administrator's <c>POST /v3/users/{id}?action=setpassword</c>, which applies the server's rules.
/// </summary>
internal static class UserCommand
{
    private const string UsersPath = "/apis/management.appliance.io/v1/users";
    private const string GlobalRoleBindingsPath = "/apis/management.appliance.io/v1/globalrolebindings";
    private const string LocalPrincipalPrefix = "local://";
    private const string AdminGlobalRole = "admin";
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const int MaxNameLength = 128;

    public static Command Build()
    {
        var connection = new ApiConnectionOptions();
        var command = new Command("user", "Manage the running server's local users: add one, set a password, disable or enable one.");
        connection.AddTo(command);
        command.Subcommands.Add(BuildAdd(connection));
        command.Subcommands.Add(BuildPasswd(connection));
        command.Subcommands.Add(BuildDisable(connection, enable: false));
        command.Subcommands.Add(BuildDisable(connection, enable: true));
        return command;
    }

    private static Argument<string> NameArgument()
    {
        var name = new Argument<string>("name") { Description = "The user's login name (as typed to sign in)." };
        name.Validators.Add(static result =>
        {
            string value = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (value.Length is 0 or > MaxNameLength || value.Any(static c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                result.AddError($"'{Printable(value)}' is not a user name: 1 to {MaxNameLength} characters, no spaces or control characters.");
            }
        });
        return name;
    }

    private static Option<bool> MustChangeOption() => new("--must-change-password")
    {
        Description = "Make the user choose a new password at the next sign-in (POST /v3/users?action=changepassword).",
    };

    private static Command BuildAdd(ApiConnectionOptions connection)
    {
        Argument<string> name = NameArgument();
        var displayName = new Option<string?>("--display-name") { Description = "The name shown to people (default: NAME).", HelpName = "text" };
        var admin = new Option<bool>("--admin") { Description = "Bind the GlobalRole admin: every right on this server and every cluster." };
        Option<bool> mustChange = MustChangeOption();
        var command = new Command("add", "Add a local user with a password read from stdin, or asked for at a terminal.")
        {
            name,
            displayName,
            admin,
            mustChange,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string username = parsed.GetRequiredValue(name);
            using ApiConnection api = ApiConnection.Open(parsed, connection);
            if (await FindLocalUserAsync(api, username, cancellationToken) is JsonObject existing)
            {
                throw new InvalidOperationException($"a local user named '{username}' already exists ({Id(existing)}).");
            }

            string password = PasswordInput.Read(username, parsed.InvocationConfiguration.Error);
            string id = await CreateUserAsync(api, username, parsed.GetValue(displayName) ?? username, cancellationToken);
            string? binding = null;
            try
            {
                // Bound before the password is set: until then nobody can sign in as the user, and a refused password undoes both.
                if (parsed.GetValue(admin))
                {
                    binding = await BindAdminAsync(api, id, cancellationToken);
                }

                await SetPasswordAsync(api, id, password, parsed.GetValue(mustChange), cancellationToken);
            }
            catch (ApiCallException e)
            {
                await UndoAsync(api, id, binding);
                throw new InvalidOperationException($"user '{username}' not added: {e.Message}", e);
            }

            await parsed.InvocationConfiguration.Output.WriteLineAsync(
                $"Added user {username} ({id}){(binding is null ? "" : ", an administrator (GlobalRole admin)")}.");
            return 0;
        });
        return command;
    }

    private static Command BuildPasswd(ApiConnectionOptions connection)
    {
        Argument<string> name = NameArgument();
        Option<bool> mustChange = MustChangeOption();
        var command = new Command("passwd", "Set a local user's password (read from stdin, or asked for at a terminal); the old one is not needed.")
        {
            name,
            mustChange,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string username = parsed.GetRequiredValue(name);
            using ApiConnection api = ApiConnection.Open(parsed, connection);
            string id = Id(await FindLocalUserAsync(api, username, cancellationToken) ?? throw NoSuchUser(username));
            string password = PasswordInput.Read(username, parsed.InvocationConfiguration.Error);
            try
            {
                await SetPasswordAsync(api, id, password, parsed.GetValue(mustChange), cancellationToken);
            }
            catch (ApiCallException e)
            {
                throw new InvalidOperationException($"password of '{username}' not set: {e.Message}", e);
            }

            await parsed.InvocationConfiguration.Output.WriteLineAsync($"Set the password of {username} ({id}).");
            return 0;
        });
        return command;
    }

    private static Command BuildDisable(ApiConnectionOptions connection, bool enable)
    {
        Argument<string> name = NameArgument();
        var command = enable
            ? new Command("enable", "Let a disabled local user sign in again (its old tokens work again if not expired).") { name }
            : new Command("disable", "Stop a local user: sign-in is refused and every token of the user stops working at once.") { name };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string username = parsed.GetRequiredValue(name);
            using ApiConnection api = ApiConnection.Open(parsed, connection);
            string id = Id(await FindLocalUserAsync(api, username, cancellationToken) ?? throw NoSuchUser(username));
            if (!enable && await CallerAsync(api, cancellationToken) == id)
            {
                throw new InvalidOperationException($"'{username}' is the user this command runs as; disable it as another administrator.");
            }

            await api.MergePatchAsync($"{UsersPath}/{id}", new JsonObject { ["enabled"] = enable }, cancellationToken);
            await parsed.InvocationConfiguration.Output.WriteLineAsync(enable
                ? $"Enabled {username} ({id})."
                : $"Disabled {username} ({id}): sign-in is refused and its tokens no longer work.");
            return 0;
        });
        return command;
    }

    /// <summary>The local User whose username is <paramref name="username"/>; a directory or GitHub user of that name is not one.</summary>
    private static async Task<JsonObject?> FindLocalUserAsync(ApiConnection api, string username, CancellationToken cancellationToken)
    {
        JsonNode? list = await api.GetAsync(UsersPath, cancellationToken);
        JsonObject? found = null;
        foreach (JsonNode? item in list?["items"] as JsonArray ?? [])
        {
            if (item is JsonObject user && Text(user["username"]) == username && IsLocal(user))
            {
                if (found is not null)
                {
                    throw new InvalidOperationException($"more than one local user is named '{username}' ({Id(found)}, {Id(user)}); fix them with kubectl.");
                }

                found = user;
            }
        }

        return found;
    }

    /// <summary>A local principal, or none of another provider (a local administrator GitHub's test and enable linked to a GitHub user stays local).</summary>
    private static bool IsLocal(JsonObject user)
    {
        JsonArray principals = user["principalIds"] as JsonArray ?? [];
        return principals.Count == 0 || principals.Any(principal => Text(principal)?.StartsWith(LocalPrincipalPrefix, StringComparison.Ordinal) == true);
    }

    /// <summary>Creates the User under a fresh Rancher-style name <c>u-xxxxx</c> (its principal is <c>local://u-xxxxx</c>).</summary>
    private static async Task<string> CreateUserAsync(ApiConnection api, string username, string displayName, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            string id = "u-" + RandomNumberGenerator.GetString(IdAlphabet, 5);
            var user = new JsonObject
            {
                ["apiVersion"] = "management.appliance.io/v1",
                ["kind"] = "User",
                ["metadata"] = new JsonObject { ["name"] = id },
                ["username"] = username,
                ["displayName"] = displayName,
                ["principalIds"] = new JsonArray((JsonNode)(LocalPrincipalPrefix + id)),
                ["enabled"] = true,
            };
            try
            {
                await api.PostAsync(UsersPath, user, cancellationToken);
                return id;
            }
            catch (ApiCallException e) when (e.Status == HttpStatusCode.Conflict && attempt < 5)
            {
                // 36^5 names: taken by chance; another name, never a shared one.
            }
        }
    }

    private static async Task<string> BindAdminAsync(ApiConnection api, string id, CancellationToken cancellationToken)
    {
        string name = "admin-" + id;
        await api.PostAsync(GlobalRoleBindingsPath, new JsonObject
        {
            ["apiVersion"] = "management.appliance.io/v1",
            ["kind"] = "GlobalRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["globalRoleName"] = AdminGlobalRole,
            ["userName"] = id,
        }, cancellationToken);
        return name;
    }

    private static Task SetPasswordAsync(ApiConnection api, string id, string password, bool mustChange, CancellationToken cancellationToken)
        => api.PostAsync($"/v3/users/{id}?action=setpassword", new JsonObject { ["newPassword"] = password, ["mustChangePassword"] = mustChange }, cancellationToken);

    /// <summary>Best effort, never cancelled: what a failed `user add` made is removed again.</summary>
    private static async Task UndoAsync(ApiConnection api, string id, string? binding)
    {
        try
        {
            if (binding is not null)
            {
                await api.DeleteAsync($"{GlobalRoleBindingsPath}/{binding}", CancellationToken.None);
            }

            await api.DeleteAsync($"{UsersPath}/{id}", CancellationToken.None);
        }
        catch (Exception e) when (e is ApiCallException or InvalidOperationException)
        {
            // The first failure is the one to report.
        }
    }

    /// <summary>The user this command authenticates as (SelfSubjectReview), to refuse disabling it.</summary>
    private static async Task<string?> CallerAsync(ApiConnection api, CancellationToken cancellationToken)
    {
        JsonNode? review = await api.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews", new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "SelfSubjectReview",
        }, cancellationToken);
        return Text(review?["status"]?["userInfo"]?["username"]);
    }

    private static InvalidOperationException NoSuchUser(string username) => new($"no local user named '{username}'.");

    private static string Id(JsonObject user) => Text(user["metadata"]?["name"]) ?? "";

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    /// <summary>A name as it can be shown in one line of an error.</summary>
    private static string Printable(string value)
        => new(value.Select(static c => char.IsControl(c) ? '?' : c).Take(MaxNameLength + 1).ToArray());
}
