using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Api.OpenApi;
using Appliance.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Appliance.Api;

public sealed partial class ResourceEngine
{
    // apimachinery's SimpleNameGenerator alphabet: no vowels (no words), no look-alike characters.
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private const int GenerateNameSuffixLength = 5;

    /// <summary>
    /// Creates an object as a POST would (also used at start-up to create the <c>default</c> namespace).
    /// Returns the stored object with its resource version; throws <see cref="ApiException"/> otherwise.
    /// </summary>
    internal async Task<JsonObject> CreateAsync(ResourceDefinition definition, string? namespaceName, JsonObject obj, bool dryRun)
    {
        var target = new RequestTarget(definition, namespaceName, null);
        JsonObject metadata = Metadata(obj);
        PrepareIdentity(target, obj, metadata);
        string? name = GetString(metadata, "name");
        string? generateName = GetString(metadata, "generateName");
        if (string.IsNullOrEmpty(name) && string.IsNullOrEmpty(generateName))
        {
            throw new ApiException(ApiErrors.Invalid(definition.Group, definition.Kind, "",
                [new ApiStatusCause { Reason = "FieldValueRequired", Field = "metadata.name", Message = "Required value: name or generateName is required" }]));
        }

        if (definition.Namespaced)
        {
            GetResult ns = _store.Get(Namespaces.Key(null, namespaceName!));
            if (ns.Status != StoreStatus.Ok)
            {
                throw new ApiException(ApiErrors.NotFound("", "namespaces", namespaceName!));
            }
        }

        metadata.Remove("resourceVersion");
        metadata.Remove("deletionTimestamp");
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Timestamp();
        metadata["generation"] = 1;

        for (int attempt = 0; ; attempt++)
        {
            bool generated = string.IsNullOrEmpty(name);
            string candidate = generated ? generateName + RandomSuffix() : name!;
            metadata["name"] = candidate;
            Validate(definition, obj, candidate);
            byte[] value = StoredValue(definition.Key(namespaceName, candidate), obj);
            if (dryRun)
            {
                return obj;
            }

            WriteResult result = await _store.CreateAsync(definition.Key(namespaceName, candidate), value).ConfigureAwait(false);
            if (result.IsOk)
            {
                SetResourceVersion(obj, result.Revision);
                return obj;
            }

            // A generated name that collides is retried with a new suffix, as kube-apiserver does.
            if (!(generated && result.Status == StoreStatus.AlreadyExists && attempt < MaxGenerateNameAttempts))
            {
                throw new ApiException(FromStoreStatus(result.Status, target, candidate));
            }
        }
    }

    private ResourceDefinition Namespaces => Registry.Find("", "v1", "namespaces")!;

    private async Task CreateFromRequestAsync(HttpContext context, RequestTarget target)
    {
        JsonObject obj = await ReadObjectAsync(context, target.Definition).ConfigureAwait(false);
        JsonObject created = await CreateAsync(target.Definition, target.Namespace, obj, IsDryRun(context)).ConfigureAwait(false);
        await JsonResponses.WriteObjectAsync(context, StatusCodes.Status201Created, created).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes at once and answers with a Success Status, as kube-apiserver does for kinds that do not
    /// return the deleted object; an object with finalizers is only marked (<c>deletionTimestamp</c>) and
    /// returned. Honours
    /// DeleteOptions <c>preconditions</c> (uid, resourceVersion). A namespace takes its objects with it.
    /// </summary>
    private async Task DeleteAsync(HttpContext context, RequestTarget target)
    {
        ResourceDefinition definition = target.Definition;
        string name = target.Name!;
        JsonObject? options = context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0
            ? await ReadBodyAsync(context).ConfigureAwait(false)
            : null;
        JsonObject? preconditions = options?["preconditions"] as JsonObject;
        string? preconditionUid = preconditions is null ? null : GetString(preconditions, "uid");
        string? preconditionVersion = preconditions is null ? null : GetString(preconditions, "resourceVersion");
        string key = definition.Key(target.Namespace, name);
        for (int attempt = 0; ; attempt++)
        {
            GetResult current = _store.Get(key);
            if (current.Status != StoreStatus.Ok)
            {
                throw new ApiException(FromStoreStatus(current.Status, target, name));
            }

            JsonObject old = Materialize(current.Item!.Key, current.Item.Value, current.Item.ModRevision);
            string? uid = GetString(Metadata(old), "uid");
            if ((preconditionUid is not null && preconditionUid != uid)
                || (preconditionVersion is not null && preconditionVersion != current.Item.ModRevision.ToString(CultureInfo.InvariantCulture)))
            {
                throw new ApiException(ApiErrors.Conflict(definition.Group, definition.Resource, name));
            }

            if (!IsDryRun(context))
            {
                (WriteResult result, JsonObject? remaining) = await DeleteOrMarkAsync(current.Item, old).ConfigureAwait(false);
                if (!result.IsOk)
                {
                    if (result.Status == StoreStatus.Conflict && preconditionVersion is null && attempt < MaxWriteAttempts)
                    {
                        continue;
                    }

                    throw new ApiException(FromStoreStatus(result.Status, target, name));
                }

                if (remaining is not null)
                {
                    // Finalizers hold it: kube-apiserver answers with the object, now marked for deletion.
                    await JsonResponses.WriteObjectAsync(context, StatusCodes.Status200OK, remaining).ConfigureAwait(false);
                    return;
                }

                if (definition == Namespaces)
                {
                    await DeleteNamespaceContentsAsync(name).ConfigureAwait(false);
                }
            }

            await JsonResponses.WriteStatusAsync(context, ApiErrors.Deleted(definition.Group, definition.Resource, name, uid)).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>
    /// deletecollection: deletes every object of the collection matching the label and field selectors
    /// and answers with the list of what was deleted, as kube-apiserver does. An object changed since the
    /// listing is re-read and deleted only if it still matches.
    /// </summary>
    private async Task DeleteCollectionAsync(HttpContext context, RequestTarget target)
    {
        ResourceDefinition definition = target.Definition;
        (LabelSelector labels, FieldSelector fields) = ParseSelectors(context.Request.Query, definition);
        bool dryRun = IsDryRun(context);
        RangeResult snapshot = _store.Range(definition.ListPrefix(target.Namespace));
        var deleted = new List<JsonObject>();
        long revision = snapshot.Revision;
        foreach (KeyValue listed in snapshot.Items)
        {
            KeyValue? item = listed;
            for (int attempt = 0; item is not null && attempt < MaxWriteAttempts; attempt++)
            {
                JsonObject obj = Materialize(item.Key, item.Value, item.ModRevision);
                if (!labels.Matches(obj) || !fields.Matches(obj))
                {
                    break;
                }

                if (dryRun)
                {
                    deleted.Add(obj);
                    break;
                }

                (WriteResult result, JsonObject? remaining) = await DeleteOrMarkAsync(item, obj).ConfigureAwait(false);
                if (result.IsOk)
                {
                    deleted.Add(remaining ?? obj);
                    revision = Math.Max(revision, result.Revision);
                    if (remaining is null && definition == Namespaces)
                    {
                        await DeleteNamespaceContentsAsync(GetString(Metadata(obj), "name")!).ConfigureAwait(false);
                    }

                    break;
                }

                item = result.Status == StoreStatus.Conflict ? _store.Get(item.Key).Item : null;
            }
        }

        await WriteListAsync(context, definition, deleted, revision.ToString(CultureInfo.InvariantCulture), null).ConfigureAwait(false);
    }

    // Stand-in for kube's namespace controller: the namespace is already gone, so nothing new can be
    // created in it, and its objects are removed one by one (their own finalizers are not waited for).
    private async Task DeleteNamespaceContentsAsync(string namespaceName)
    {
        foreach (ResourceDefinition definition in Registry.All)
        {
            if (!definition.Namespaced)
            {
                continue;
            }

            RangeResult page = _store.Range(definition.ListPrefix(namespaceName));
            foreach (KeyValue item in page.Items)
            {
                await _store.DeleteAsync(item.Key, 0).ConfigureAwait(false);
            }
        }
    }

    /// <summary>apiVersion/kind must be the URL's (set when absent); namespace must be the URL's.</summary>
    private static void PrepareIdentity(RequestTarget target, JsonObject obj, JsonObject metadata)
    {
        ResourceDefinition definition = target.Definition;
        string? apiVersion = GetString(obj, "apiVersion");
        string? kind = GetString(obj, "kind");
        if ((!string.IsNullOrEmpty(apiVersion) && apiVersion != definition.ApiVersion) || (!string.IsNullOrEmpty(kind) && kind != definition.Kind))
        {
            throw new ApiException(ApiErrors.BadRequest($"the API version in the data ({apiVersion}) and kind ({kind}) do not match the request ({definition.ApiVersion}, {definition.Kind})"));
        }

        obj["apiVersion"] = definition.ApiVersion;
        obj["kind"] = definition.Kind;
        string? bodyNamespace = GetString(metadata, "namespace");
        if (definition.Namespaced)
        {
            if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != target.Namespace)
            {
                throw new ApiException(ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
            }

            metadata["namespace"] = target.Namespace;
        }
        else
        {
            metadata.Remove("namespace");
        }
    }

    private static void Validate(ResourceDefinition definition, JsonObject obj, string name)
    {
        // Whatever wrote the object (a JSON patch, a start-up default), it is stored with known fields only.
        PruneUnknownFields(definition, obj);
        var causes = new List<ApiStatusCause>();
        string? nameError = NameValidation.Validate(name, definition.NameRule);
        if (nameError is not null)
        {
            causes.Add(new ApiStatusCause { Reason = "FieldValueInvalid", Field = "metadata.name", Message = $"Invalid value: \"{name}\": {nameError}" });
        }

        ValidateStringMap(obj["metadata"]?["labels"], "metadata.labels", labels: true, causes);
        ValidateStringMap(obj["metadata"]?["annotations"], "metadata.annotations", labels: false, causes);

        definition.Prepare?.Invoke(obj, causes);
        if (causes.Count > 0)
        {
            throw new ApiException(ApiErrors.Invalid(definition.Group, definition.Kind, name, causes));
        }
    }

    // Labels are selectable, so keys are qualified names and values label values (apimachinery
    // ValidateLabels); annotations only need string values.
    private static void ValidateStringMap(JsonNode? node, string field, bool labels, List<ApiStatusCause> causes)
    {
        if (node is null)
        {
            return;
        }

        if (node is not JsonObject map)
        {
            causes.Add(new ApiStatusCause { Reason = "FieldValueInvalid", Field = field, Message = "Invalid value: must be an object of strings" });
            return;
        }

        foreach ((string key, JsonNode? value) in map)
        {
            string? text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            if (text is null)
            {
                causes.Add(new ApiStatusCause { Reason = "FieldValueInvalid", Field = $"{field}[{key}]", Message = "Invalid value: must be a string" });
            }
            else if (labels && !LabelSelector.IsKey(key))
            {
                causes.Add(new ApiStatusCause { Reason = "FieldValueInvalid", Field = field, Message = $"Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character" });
            }
            else if (labels && !LabelSelector.IsValue(text))
            {
                causes.Add(new ApiStatusCause { Reason = "FieldValueInvalid", Field = $"{field}", Message = $"Invalid value: \"{text}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character" });
            }
        }
    }

    private static bool SpecChanged(JsonObject old, JsonObject updated)
    {
        foreach ((string property, JsonNode? value) in updated)
        {
            if (property is "metadata" or "status" or "apiVersion" or "kind")
            {
                continue;
            }

            if (!JsonNode.DeepEquals(value, old[property]))
            {
                return true;
            }
        }

        foreach ((string property, _) in old)
        {
            if (property is not ("metadata" or "status" or "apiVersion" or "kind") && !updated.ContainsKey(property))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The request body of a create or update as an object: JSON, or Kubernetes protobuf for kinds with a
    /// <see cref="ResourceDefinition.Protobuf"/> schema; 415 for any other media type. Fields the kind's
    /// schema does not know are dropped, and with duplicated fields answered per the
    /// <c>fieldValidation</c> directive, as kube-apiserver's strict decoding does: Strict fails with 400,
    /// Warn (the default) adds a Warning header each, Ignore says nothing. A value of the wrong JSON type
    /// (a string where an object belongs) is a 400 in every mode.
    /// </summary>
    private async Task<JsonObject> ReadObjectAsync(HttpContext context, ResourceDefinition definition)
    {
        FieldValidationDirective directive = ParseFieldValidation(context);
        string? contentType = context.Request.ContentType;
        bool protobuf = contentType is not null && contentType.StartsWith(KubernetesProtobuf.MediaType, StringComparison.OrdinalIgnoreCase);
        if (contentType is not null && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase) && !(protobuf && definition.Protobuf is not null))
        {
            throw new ApiException(new ApiStatus { Code = 415, Reason = "UnsupportedMediaType", Message = $"the body of the request was in an unknown format - accepted media types include: application/json" });
        }

        ArraySegment<byte> body = await ReadBodyBytesAsync(context).ConfigureAwait(false);
        if (body.Count == 0)
        {
            throw new ApiException(ApiErrors.BadRequest($"the body of the request must be a {definition.Kind} object"));
        }

        SchemaNode? schema = KindSchemas.Find(definition.Group, definition.Version, definition.Kind)?.Root;
        if (protobuf)
        {
            // Protobuf carries only the fields its message declares: nothing to report.
            return KubernetesProtobuf.TryDecode(body, definition.Protobuf!, out JsonObject obj, out string? error)
                ? PruneUnknownFields(definition, obj)
                : throw new ApiException(ApiErrors.BadRequest("the body of the request is not valid protobuf: " + error));
        }

        DecodedBody decoded = DecodeJson(body, schema, definition.Kind, patch: false);
        string cannotHandle = $"{definition.Kind} in version \"{definition.Version}\" cannot be handled as a {definition.Kind}: ";
        if (decoded.TypeError is not null)
        {
            throw new ApiException(ApiErrors.BadRequest(cannotHandle + decoded.TypeError));
        }

        ReportStrictErrors(context, directive, decoded.StrictErrors, strict => ApiErrors.BadRequest(cannotHandle + strict));
        return decoded.Object;
    }

    /// <summary>The body as a JSON object (null when empty), e.g. DeleteOptions.</summary>
    private async Task<JsonObject?> ReadBodyAsync(HttpContext context)
    {
        ArraySegment<byte> body = await ReadBodyBytesAsync(context).ConfigureAwait(false);
        return body.Count == 0 ? null : DecodeJson(body, null, "", patch: false).Object;
    }

    private static DecodedBody DecodeJson(ReadOnlySpan<byte> body, SchemaNode? schema, string kind, bool patch)
    {
        try
        {
            return FieldValidation.Decode(body, schema, kind, patch);
        }
        catch (InvalidDataException)
        {
            throw new ApiException(ApiErrors.BadRequest("the body of the request must be a JSON object"));
        }
        catch (JsonException e)
        {
            throw new ApiException(ApiErrors.BadRequest("the body of the request is not valid JSON: " + e.Message));
        }
    }

    /// <summary>
    /// The whole body; 413 above <see cref="MaxBodyBytes"/> (kube-apiserver's limit). A merge or strategic
    /// merge patch is checked here, where every body is read, for fields the kind does not know and
    /// duplicated fields, answered per the <c>fieldValidation</c> directive as kube-apiserver's patch
    /// handler does (Strict: 422 on <c>patch</c>). The patch is returned unchanged: the unknown fields are
    /// dropped from the patched object by <see cref="Validate"/>.
    /// </summary>
    private async Task<ArraySegment<byte>> ReadBodyBytesAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new ApiException(new ApiStatus { Code = 413, Reason = "RequestEntityTooLarge", Message = "the request body is larger than 3 MiB" });
            }

            buffer.Write(chunk, 0, read);
        }

        var body = new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (HttpMethods.IsPatch(context.Request.Method))
        {
            CheckPatchFields(context, body);
        }

        return body;
    }

    private void CheckPatchFields(HttpContext context, ArraySegment<byte> patch)
    {
        FieldValidationDirective directive = ParseFieldValidation(context);
        string mediaType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        RouteValueDictionary route = context.Request.RouteValues;
        ResourceDefinition? definition = Registry.Find(route["group"] as string ?? "", route["version"] as string ?? "v1", route["resource"] as string ?? "");

        // A JSON patch names fields in its paths; its result is pruned like every other write.
        if (definition is null || !(mediaType.Equals("application/merge-patch+json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/strategic-merge-patch+json", StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        DecodedBody decoded;
        try
        {
            decoded = FieldValidation.Decode(patch, KindSchemas.Find(definition.Group, definition.Version, definition.Kind)?.Root, definition.Kind, patch: true);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            return; // the patch handler reports a malformed patch in its own words
        }

        ReportStrictErrors(context, directive, decoded.StrictErrors, strict => ApiErrors.Invalid(definition.Group, definition.Kind, route["name"] as string ?? "",
            [new ApiStatusCause { Reason = "FieldValueInvalid", Field = "patch", Message = $"Invalid value: \"{Encoding.UTF8.GetString(patch)}\": {strict}" }]));
    }

    /// <summary>The <c>fieldValidation</c> directive; 422 on the request's options kind for an unknown value, as kube-apiserver.</summary>
    private static FieldValidationDirective ParseFieldValidation(HttpContext context)
    {
        string? value = context.Request.Query["fieldValidation"];
        if (FieldValidation.TryParseDirective(value, out FieldValidationDirective directive))
        {
            return directive;
        }

        string method = context.Request.Method;
        string options = HttpMethods.IsPost(method) ? "CreateOptions" : HttpMethods.IsPatch(method) ? "PatchOptions" : "UpdateOptions";
        throw new ApiException(ApiErrors.Invalid("meta.k8s.io", options, "",
        [
            new ApiStatusCause
            {
                Reason = "FieldValueNotSupported",
                Field = "fieldValidation",
                Message = $"Unsupported value: \"{value}\": supported values: {string.Join(", ", FieldValidation.Directives.Select(static d => "\"" + d + "\""))}",
            },
        ]));
    }

    private static void ReportStrictErrors(HttpContext context, FieldValidationDirective directive, IReadOnlyList<string> errors, Func<string, ApiStatus> strictFailure)
    {
        if (errors.Count == 0)
        {
            return;
        }

        if (directive == FieldValidationDirective.Strict)
        {
            throw new ApiException(strictFailure("strict decoding error: " + string.Join(", ", errors)));
        }

        if (directive == FieldValidationDirective.Warn)
        {
            FieldValidation.AddWarnings(context.Response, errors);
        }
    }

    /// <summary>Drops the fields the kind's schema does not know; kinds without a schema keep everything.</summary>
    private static JsonObject PruneUnknownFields(ResourceDefinition definition, JsonObject obj)
    {
        FieldValidation.Prune(obj, KindSchemas.Find(definition.Group, definition.Version, definition.Kind)?.Root);
        return obj;
    }

    private static bool IsDryRun(HttpContext context) => context.Request.Query["dryRun"] == "All";

    private string Timestamp()
        => _timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string RandomSuffix()
        => string.Create(GenerateNameSuffixLength, 0, static (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = GenerateNameAlphabet[RandomNumberGenerator.GetInt32(GenerateNameAlphabet.Length)];
            }
        });
}
