using System.Diagnostics;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Security;

/// <summary>
/// Rancher's "test and enable", <c>POST /v3/authConfigs/{openldap|activedirectory}?action=testAndApply</c> with
/// <c>{"ldapConfig" (AD: "activeDirectoryConfig"): {...the AuthConfig's fields...}, "username", "password"}</c>:
/// the configuring user signs in through the new settings first, and only then are they saved with
/// <c>enabled: true</c>; with access mode restricted or required that user's principal joins
/// <c>allowedPrincipalIds</c>, so nobody locks themselves out. The config may carry
/// <c>serviceAccountPassword</c> in clear: it goes to the Secret <c>appliance-system/{provider}-service-account</c>
/// (encrypted at rest), never into the AuthConfig; without it the Secret already referenced is used. A failed
/// test saves nothing and says what the directory answered. The caller needs RBAC's create (new config) or
/// update on <c>authconfigs/{provider}</c>; the action is audited like an API request.
/// </summary>
public sealed class AuthConfigTestAndApply(
    ApiSecurity security,
    ResourceEngine engine,
    DirectoryProviders providers,
    ApiAuditLog audit,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider,
    ILogger<AuthConfigTestAndApply> logger)
{
    public async Task HandleAsync(HttpContext context, string provider)
    {
        ArgumentNullException.ThrowIfNull(context);
        long started = Stopwatch.GetTimestamp();
        string caller = "system:anonymous";
        bool exists = DirectoryAuthConfig.IsDirectory(provider) && providers.Config(provider) is not null;
        try
        {
            caller = await ServeAsync(context, provider, exists).ConfigureAwait(false) ?? caller;
        }
        finally
        {
            audit.Record(caller, null, exists ? "update" : "create", context.Request.Path.Value ?? "", context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Answers the request; returns the caller's name once authenticated.</summary>
    private async Task<string?> ServeAsync(HttpContext context, string provider, bool exists)
    {
        if (!DirectoryAuthConfig.IsDirectory(provider) || context.Request.Query["action"] != "testAndApply")
        {
            await V3Responses.WriteErrorAsync(context, 404, "NotFound", "testAndApply is served for the openldap and activedirectory auth configs").ConfigureAwait(false);
            return null;
        }

        (RequestUser? user, bool allowed) = await security.AuthorizeActionAsync(context, exists ? "update" : "create", "authconfigs", provider).ConfigureAwait(false);
        if (!allowed || user is null)
        {
            return user?.Name;
        }

        string wrapper = provider == DirectoryAuthConfig.ActiveDirectory ? "activeDirectoryConfig" : "ldapConfig";
        JsonObject? body = await V3Responses.ReadBodyAsync(context).ConfigureAwait(false);
        string? username = FieldRules.Text(body?["username"]);
        string? password = FieldRules.Text(body?["password"]);
        if (body?[wrapper] is not JsonObject submitted || username is null || password is null)
        {
            await V3Responses.WriteErrorAsync(context, 400, "InvalidBodyContent", $"the body must be a JSON object with {wrapper} (an object), username and password").ConfigureAwait(false);
            return user.Name;
        }

        JsonObject? stored = providers.Config(provider);
        (JsonObject config, string? newPassword) = Candidate(provider, submitted, stored);
        var causes = new List<ApiStatusCause>();
        ManagementObjectRules.PrepareAuthConfig(config, causes);
        string? serviceAccountPassword = newPassword;
        if (causes.Count == 0 && serviceAccountPassword is null)
        {
            serviceAccountPassword = providers.ReadPassword(config, out string? problem)?.Password;
            if (serviceAccountPassword is null)
            {
                causes.Add(FieldRules.Invalid(DirectoryAuthConfig.SecretRefField, problem + $"; send {DirectoryAuthConfig.PasswordField} to store one"));
            }
        }

        if (causes.Count > 0)
        {
            string message = string.Join("; ", causes.Select(static cause => cause.Field + ": " + cause.Message));
            await V3Responses.WriteErrorAsync(context, 422, "InvalidFormat", message).ConfigureAwait(false);
            return user.Name;
        }

        LdapLoginResult test;
        using (var authenticator = new LdapAuthenticator(DirectoryAuthConfig.ToSettings(provider, config, serviceAccountPassword!), loggerFactory.CreateLogger<LdapAuthenticator>(), timeProvider))
        {
            test = await authenticator.LoginAsync(username, password, context.RequestAborted).ConfigureAwait(false);
        }

        string? address = context.Connection.RemoteIpAddress?.ToString();
        if (test.User is not { } directoryUser)
        {
            audit.RecordLogin(provider, username, address, "test-failed", null);
            Log.AuthConfigTestFailed(logger, provider, user.Name, username, test.Status.ToString());
            await V3Responses.WriteErrorAsync(context, 422, "TestFailed", $"nothing was saved: the test login of {username} failed: {Explain(test.Status, username)}").ConfigureAwait(false);
            return user.Name;
        }

        audit.RecordLogin(provider, username, address, "test-succeeded", null);
        config["enabled"] = true;
        if (Text(config["accessMode"]) is "restricted" or "required")
        {
            AddAllowed(config, directoryUser.Principal);
        }

        if (newPassword is not null)
        {
            await SaveSecretAsync(provider, newPassword).ConfigureAwait(false);
        }

        ResourceDefinition authConfigs = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "authconfigs")!;
        JsonObject saved = stored is null
            ? await engine.CreateAsync(authConfigs, null, config, dryRun: false).ConfigureAwait(false)
            : await engine.ReplaceAsync(authConfigs, null, provider, current =>
            {
                // The stored labels and annotations stay; the rest is the tested config.
                config["metadata"] = current["metadata"]?.DeepClone();
                return config.DeepClone().AsObject();
            }).ConfigureAwait(false);
        Log.AuthConfigApplied(logger, provider, user.Name, directoryUser.Principal.ToString());
        await JsonResponses.WriteObjectAsync(context, 200, saved).ConfigureAwait(false);
        return user.Name;
    }

    /// <summary>The AuthConfig to test: the submitted fields, the stored Secret reference unless a password is sent; and that password.</summary>
    private static (JsonObject Config, string? Password) Candidate(string provider, JsonObject submitted, JsonObject? stored)
    {
        JsonObject config = submitted.DeepClone().AsObject();
        string? password = Text(config[DirectoryAuthConfig.PasswordField]);
        config.Remove(DirectoryAuthConfig.PasswordField);
        config["apiVersion"] = ResourceRegistry.ManagementGroup + "/v1";
        config["kind"] = "AuthConfig";
        config["metadata"] = new JsonObject { ["name"] = provider };
        config["enabled"] = true;
        if (!string.IsNullOrEmpty(password))
        {
            config[DirectoryAuthConfig.SecretRefField] = new JsonObject
            {
                ["namespace"] = LocalPasswords.SystemNamespace,
                ["name"] = SecretName(provider),
                ["key"] = DirectoryAuthConfig.DefaultSecretKey,
            };
        }
        else
        {
            password = null;
            if (config[DirectoryAuthConfig.SecretRefField] is null && stored?[DirectoryAuthConfig.SecretRefField] is JsonNode reference)
            {
                config[DirectoryAuthConfig.SecretRefField] = reference.DeepClone();
            }
        }

        return (config, password);
    }

    private static string SecretName(string provider) => provider + "-service-account";

    private Task SaveSecretAsync(string provider, string password)
        => SaveSecretAsync(engine, SecretName(provider), DirectoryAuthConfig.DefaultSecretKey, password, provider);

    /// <summary>Writes <paramref name="value"/> as the only key of the Secret <c>appliance-system/{name}</c> (encrypted at rest), labelled with its provider.</summary>
    internal static async Task SaveSecretAsync(ResourceEngine engine, string name, string key, string value, string provider)
    {
        ResourceDefinition secrets = engine.Registry.Find("", "v1", "secrets")!;
        if (engine.Find(secrets, LocalPasswords.SystemNamespace, name) is not null)
        {
            await engine.ReplaceAsync(secrets, LocalPasswords.SystemNamespace, name, secret =>
            {
                secret["data"] = new JsonObject();
                secret["stringData"] = new JsonObject { [key] = value };
                return secret;
            }).ConfigureAwait(false);
            return;
        }

        await engine.CreateAsync(secrets, LocalPasswords.SystemNamespace, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = new JsonObject { ["management.appliance.io/service-account-of"] = provider },
            },
            ["stringData"] = new JsonObject { [key] = value },
        }, dryRun: false).ConfigureAwait(false);
    }

    internal static void AddAllowed(JsonObject config, PrincipalId principal)
    {
        JsonArray allowed = config["allowedPrincipalIds"] as JsonArray ?? [];
        config["allowedPrincipalIds"] = allowed;
        if (!allowed.Any(node => PrincipalId.TryParse(Text(node), out PrincipalId id) && id == principal))
        {
            allowed.Add((JsonNode)principal.ToString());
        }
    }

    /// <summary>The directory's answer in words an administrator can act on; never the password.</summary>
    private static string Explain(LdapLoginStatus status, string username) => status switch
    {
        LdapLoginStatus.InvalidCredentials => "the directory rejected the password",
        LdapLoginStatus.EmptyPassword => "the password is empty",
        LdapLoginStatus.UserNotFound => $"no entry of the user object class has {username} as its login attribute under the user search base",
        LdapLoginStatus.AmbiguousUser => $"more than one entry has {username} as its login attribute: the login attribute must be unique",
        _ => DirectoryLogin.Unanswered(status) is string unanswered ? "the directory is unavailable: " + unanswered : "the directory refused the login (" + status + ")",
    };

    private static string? Text(JsonNode? node) => FieldRules.Text(node);
}
