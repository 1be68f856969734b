using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Appliance.Api.Tests;

/// <summary>
/// A real slapd and an API server for the directory sign-in tests, shared by the classes of one collection
/// (both are costly to start, and the login brake counts per client address, so these tests take turns).
/// The server's log is captured, so a test can search it for passwords.
/// </summary>
public sealed class DirectoryApiFixture : IAsyncLifetime
{
    public const string SecretName = "openldap-reader";

    public SlapdFixture Slapd { get; } = new();

    public LoggingApiServer Api { get; } = new();

    public async Task InitializeAsync()
    {
        await Slapd.InitializeAsync();
        await Api.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Slapd.DisposeAsync();
    }

    /// <summary>The AuthConfig fields for this slapd over plain LDAP: servers, port, bases, service account.</summary>
    public JsonObject OpenLdapFields() => new()
    {
        ["servers"] = new JsonArray("127.0.0.1"),
        ["port"] = Slapd.LdapPort,
        ["tlsMode"] = "none",
        ["serviceAccountDistinguishedName"] = SlapdFixture.ServiceAccountDn,
        ["userSearchBase"] = SlapdFixture.People,
        ["groupSearchBase"] = SlapdFixture.Groups,
        ["nestedGroupMembershipEnabled"] = true,
    };

    /// <summary>
    /// Writes the service account's password Secret and the <c>openldap</c> AuthConfig (created or replaced):
    /// enabled, unrestricted, <see cref="OpenLdapFields"/> changed by <paramref name="change"/>.
    /// </summary>
    public async Task ConfigureOpenLdapAsync(Action<JsonObject>? change = null)
    {
        await PutAsync("/api/v1/namespaces/appliance-system/secrets/" + SecretName, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = SecretName, ["namespace"] = "appliance-system" },
            ["stringData"] = new JsonObject { ["password"] = SlapdFixture.ServiceAccountPassword },
        });
        JsonObject config = OpenLdapFields();
        config["apiVersion"] = "management.appliance.io/v1";
        config["kind"] = "AuthConfig";
        config["metadata"] = new JsonObject { ["name"] = "openldap" };
        config["enabled"] = true;
        config["accessMode"] = "unrestricted";
        config["serviceAccountPasswordSecretRef"] = new JsonObject { ["namespace"] = "appliance-system", ["name"] = SecretName };
        change?.Invoke(config);
        await PutAsync("/apis/management.appliance.io/v1/authconfigs/openldap", config);
    }

    /// <summary>Creates or replaces an object as the admin (<see cref="ApiServerFixture.PutAsync"/>).</summary>
    public Task PutAsync(string path, JsonObject obj) => Api.PutAsync(path, obj);

    /// <summary>A login at <c>/v3-public/...Providers/{provider}?action=login</c> without any credential of the caller.</summary>
    public async Task<(HttpStatusCode Status, JsonObject Body)> LoginAsync(string provider, string username, string password)
    {
        string path = provider switch
        {
            "openldap" => "/v3-public/openLdapProviders/openldap?action=login",
            "activedirectory" => "/v3-public/activeDirectoryProviders/activedirectory?action=login",
            _ => "/v3-public/localProviders/local?action=login",
        };
        using HttpClient anonymous = Api.CreateClient(null);
        using HttpResponseMessage response = await anonymous.PostAsync(path, ApiServerFixture.Json(new JsonObject { ["username"] = username, ["password"] = password }));
        return (response.StatusCode, (JsonObject)(await response.Content.ReadFromJsonAsync<JsonNode>())!);
    }

    /// <summary>The User object named <paramref name="userId"/>, as the admin reads it.</summary>
    public async Task<JsonObject> GetUserAsync(string userId)
    {
        using HttpResponseMessage response = await Api.Client.GetAsync("/apis/management.appliance.io/v1/users/" + userId);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiServerFixture.ReadObjectAsync(response);
    }

    public static string[] Strings(JsonNode? list) => list is JsonArray array ? [.. array.Select(item => (string)item!)] : [];

    public string GroupPrincipal(string cn) => "openldap_group://" + Slapd.EntryUuid(SlapdFixture.GroupDn(cn));

    public string UserPrincipal(string uid) => "openldap_user://" + Slapd.EntryUuid(SlapdFixture.PersonDn(uid));
}

/// <summary>The API server with its log captured (every message, formatted, with its values, then <c>category=</c> its logger's).</summary>
public sealed class LoggingApiServer : ApiServerFixture
{
    private readonly CapturingLoggerProvider _logs = new();

    public string LogText => string.Join('\n', _logs.Messages);

    /// <summary>
    /// <see cref="LogText"/> as the server prints it (Logging.Configure): every category at Information, the
    /// framework's (Microsoft.*) from Warning.
    /// </summary>
    public string ServerLogText => string.Join('\n', LogText.Split('\n')
        .Where(line => !(line.Contains(" category=Microsoft.", StringComparison.Ordinal) && line.Split(' ')[0] is "Trace" or "Debug" or "Information")));

    protected override void ConfigureBuilder(WebApplicationBuilder builder) => builder.Logging.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace);

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                string values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(' ', pairs.Select(pair => pair.Key + "=" + pair.Value)) : "";
                provider.Messages.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)} {values} {exception} category={category}");
            }
        }
    }
}

/// <summary>Every directory sign-in test class joins this collection: one slapd and one API server for all.</summary>
[CollectionDefinition(Name)]
public sealed class DirectoryApiCollection : ICollectionFixture<DirectoryApiFixture>
{
    public const string Name = "directory-api";
}
