using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Api;

/// <summary>
/// The generic resource engine: one set of handlers (get, list, watch, create, update, delete) that
/// serves every kind in the <see cref="ResourceRegistry"/> over the <see cref="KeyValueStore"/>.
/// Objects are untyped <see cref="JsonObject"/>s; what differs per kind is data in
/// <see cref="ResourceDefinition"/>.
/// </summary>
/// <remarks>
/// Stored values are the object's JSON without <c>metadata.resourceVersion</c>: the resource version is
/// the key's mod-revision (DESIGN.md, "API objects"), which is only known after the write commits, so it
/// is added on every read instead of being stored.
/// </remarks>
public sealed partial class ResourceEngine
{
    /// <summary>kube-apiserver's request body limit (3 MiB); larger bodies get 413.</summary>
    public const int MaxBodyBytes = 3 * 1024 * 1024;

    public const string StatusSubresource = "status";

    public const string TokenSubresource = "token";

    // A generated name that collides is retried with a new suffix this many times.
    private const int MaxGenerateNameAttempts = 8;

    // A read-modify-write that loses its compare-and-swap to another writer is redone, as kube-apiserver's
    // GuaranteedUpdate does; the bound only stops a livelock, it is far above what contention needs
    // (20 concurrent patches of one object are tested).
    private const int MaxWriteAttempts = 100;

    private readonly KeyValueStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ResourceEngine> _logger;
    private readonly ApiOptions _options;
    private readonly CancellationToken _stopping;
    private readonly SecretEncryption _encryption;
    private readonly string[] _encryptedPrefixes;

    public ResourceEngine(KeyValueStore store, ResourceRegistry registry, SecretEncryption encryption, TimeProvider timeProvider, IOptions<ApiOptions> options, IHostApplicationLifetime lifetime, ILogger<ResourceEngine> logger)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _encryption = encryption;
        _encryptedPrefixes = [.. registry.All.Where(static d => d.EncryptedAtRest).Select(static d => d.KeyPrefix)];
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(lifetime);
        // Watches end when shutdown begins; otherwise every open `kubectl get -w` would hold a graceful stop for its whole bound.
        _stopping = lifetime.ApplicationStopping;
        _store = store;
        _options = options.Value;
        Registry = registry;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public ResourceRegistry Registry { get; }

    /// <summary>The endpoint for every resource route: resolves the target and dispatches on the method.</summary>
    internal async Task HandleAsync(HttpContext context)
    {
        try
        {
            RequestTarget target = ResolveTarget(context.Request.RouteValues, context.Request.Method);
            string method = context.Request.Method;
            if (target.Subresource == TokenSubresource)
            {
                await (HttpMethods.IsPost(method) ? TokenRequestAsync(context, target) : throw new ApiException(ApiErrors.MethodNotAllowed(method))).ConfigureAwait(false);
            }
            else if (target.IsStatus)
            {
                // The status subresource reads like the object and writes only its status.
                Task handled = HttpMethods.IsGet(method) ? GetAsync(context, target)
                    : HttpMethods.IsPut(method) ? UpdateAsync(context, target)
                    : HttpMethods.IsPatch(method) ? PatchAsync(context, target)
                    : throw new ApiException(ApiErrors.MethodNotAllowed(method));
                await handled.ConfigureAwait(false);
            }
            else if (HttpMethods.IsGet(method))
            {
                if (target.Name is not null)
                {
                    await GetAsync(context, target).ConfigureAwait(false);
                }
                else if (IsTrue(context.Request.Query["watch"]))
                {
                    await WatchAsync(context, target).ConfigureAwait(false);
                }
                else
                {
                    await ListAsync(context, target).ConfigureAwait(false);
                }
            }
            else if (HttpMethods.IsPost(method) && target.Name is null && (target.Namespace is not null || !target.Definition.Namespaced))
            {
                await CreateFromRequestAsync(context, target).ConfigureAwait(false);
            }
            else if (HttpMethods.IsPut(method) && target.Name is not null)
            {
                await UpdateAsync(context, target).ConfigureAwait(false);
            }
            else if (HttpMethods.IsPatch(method) && target.Name is not null)
            {
                await PatchAsync(context, target).ConfigureAwait(false);
            }
            else if (HttpMethods.IsDelete(method) && target.Name is not null)
            {
                await DeleteAsync(context, target).ConfigureAwait(false);
            }
            else if (HttpMethods.IsDelete(method) && (target.Namespace is not null || !target.Definition.Namespaced))
            {
                await DeleteCollectionAsync(context, target).ConfigureAwait(false);
            }
            else
            {
                throw new ApiException(ApiErrors.MethodNotAllowed(method));
            }
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await JsonResponses.WriteStatusAsync(context, e.Status).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
        {
            // A bug or a corrupt stored object: still a Status body, so clients report it sensibly.
            Log.RequestFailed(_logger, context.Request.Method, context.Request.Path.Value ?? "", e);
            await JsonResponses.WriteStatusAsync(context, ApiErrors.InternalError("an internal error occurred")).ConfigureAwait(false);
        }
    }

    private RequestTarget ResolveTarget(Microsoft.AspNetCore.Routing.RouteValueDictionary routeValues, string method)
    {
        string group = routeValues["group"] as string ?? "";
        string version = routeValues["version"] as string ?? "v1";
        string resource = routeValues["resource"] as string ?? "";
        string? namespaceName = routeValues["namespace"] as string;
        string? name = routeValues["name"] as string;
        string? subresource = routeValues["subresource"] as string;
        ResourceDefinition? definition = Registry.Find(group, version, resource);

        // A namespaced path for a cluster-scoped kind, or one object of a namespaced kind without its
        // namespace, names nothing: kube-apiserver answers those with a plain 404 too.
        if (definition is { Stored: false })
        {
            // A review is only ever created (its own route); any other verb on it is kube's 405.
            throw new ApiException(ApiErrors.MethodNotAllowed(method));
        }

        if (definition is null
            || (namespaceName is not null && !definition.Namespaced)
            || (name is not null && definition.Namespaced && namespaceName is null)
            || (subresource is not null && !((subresource == StatusSubresource && definition.HasStatusSubresource) || (subresource == TokenSubresource && definition.IssuesTokens))))
        {
            throw new ApiException(ApiErrors.NotFoundPath());
        }

        return new RequestTarget(definition, namespaceName, name, subresource);
    }

    /// <summary>
    /// The stored object with its resource version filled in from the store's mod-revision; an encrypted
    /// value (a Secret) is decrypted under its store key first.
    /// </summary>
    private JsonObject Materialize(string key, byte[] value, long modRevision)
    {
        if (JsonNode.Parse(Plaintext(key, value)) is not JsonObject obj)
        {
            throw new InvalidDataException("A stored object is not a JSON object.");
        }

        SetResourceVersion(obj, modRevision);
        return obj;
    }

    /// <summary>A stored value's JSON: decrypted under its store key when it is encrypted (a Secret).</summary>
    private byte[] Plaintext(string key, byte[] value) => SecretEncryption.IsEncrypted(value) ? _encryption.Decrypt(key, value) : value;

    /// <summary>The bytes to store under <paramref name="key"/>: the JSON, encrypted for kinds kept encrypted at rest.</summary>
    private byte[] StoredValue(string key, JsonObject obj)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(obj, ApiJsonContext.Default.JsonObject);
        foreach (string prefix in _encryptedPrefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return _encryption.Encrypt(key, json);
            }
        }

        return json;
    }

    private static void SetResourceVersion(JsonObject obj, long revision)
        => Metadata(obj)["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);

    /// <summary>The object's metadata, created when absent.</summary>
    private static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        metadata = new JsonObject();
        obj["metadata"] = metadata;
        return metadata;
    }

    private static string? GetString(JsonObject obj, string property)
        => obj[property] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static bool IsTrue(string? value) => value is "1" or "true" or "True";

    private static bool TryParseRevision(string? text, out long revision)
        => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out revision) && revision >= 0;

    private static ApiStatus FromStoreStatus(StoreStatus status, RequestTarget target, string name) => status switch
    {
        StoreStatus.NotFound => ApiErrors.NotFound(target.Definition.Group, target.Definition.Resource, name),
        StoreStatus.AlreadyExists => ApiErrors.AlreadyExists(target.Definition.Group, target.Definition.Resource, name),
        StoreStatus.Conflict => ApiErrors.Conflict(target.Definition.Group, target.Definition.Resource, name),
        StoreStatus.ValueTooLarge => new ApiStatus { Code = 413, Reason = "RequestEntityTooLarge", Message = "the object is too large to store" },
        StoreStatus.InvalidKey => ApiErrors.BadRequest($"the name \"{name}\" cannot be stored"),
        StoreStatus.Closed => new ApiStatus { Code = 503, Reason = "ServiceUnavailable", Message = "the store is shutting down" },
        _ => ApiErrors.InternalError("unexpected store result " + status),
    };
}
