using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using Appliance.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Api;

/// <summary>
/// TokenRequest (<c>POST .../serviceaccounts/{name}/token</c>, <c>kubectl create token</c>): a short-lived
/// signed token for an existing service account, with the audiences and lifetime asked for (kube's
/// defaults and bounds: 1 h, at least 10 min, at most 48 h). Nothing is stored; the token names the
/// account's uid, so it stops working when the account is deleted.
/// </summary>
public sealed partial class ResourceEngine
{
    private const long DefaultTokenSeconds = 3600;
    private const long MinTokenSeconds = 600;
    private const long MaxTokenSeconds = 48 * 3600;

    private static readonly ResourceDefinition TokenRequestKind = new()
    {
        Group = "authentication.k8s.io", Version = "v1", Resource = "tokenrequests", Kind = "TokenRequest", Singular = "tokenrequest",
        Namespaced = true, Stored = false, Protobuf = ProtobufSchema.TokenRequest,
    };

    private async Task TokenRequestAsync(HttpContext context, RequestTarget target)
    {
        JsonObject request = await ReadObjectAsync(context, TokenRequestKind).ConfigureAwait(false);
        GetResult account = _store.Get(target.Definition.Key(target.Namespace, target.Name!));
        if (account.Item is null)
        {
            throw new ApiException(ApiErrors.NotFound("", target.Definition.Resource, target.Name!));
        }

        JsonObject spec = request["spec"] as JsonObject ?? [];
        long seconds = spec["expirationSeconds"] is JsonValue value && value.TryGetValue(out long asked) ? asked : DefaultTokenSeconds;
        if (seconds < MinTokenSeconds || seconds > MaxTokenSeconds)
        {
            throw new ApiException(ApiErrors.Invalid("authentication.k8s.io", "TokenRequest", target.Name!,
                [new ApiStatusCause { Reason = "FieldValueInvalid", Field = "spec.expirationSeconds", Message = $"Invalid value: {seconds}: must be between {MinTokenSeconds} seconds and {MaxTokenSeconds / 3600} hours" }]));
        }

        var audiences = new List<string>();
        if (spec["audiences"] is JsonArray requested)
        {
            foreach (JsonNode? audience in requested)
            {
                if (audience is JsonValue text && text.GetValueKind() == JsonValueKind.String && text.GetValue<string>().Length > 0)
                {
                    audiences.Add(text.GetValue<string>());
                }
            }
        }

        if (audiences.Count == 0)
        {
            audiences.Add(ServiceAccountTokens.Issuer);
        }

        string uid = GetString(Metadata(Materialize(account.Item.Key, account.Item.Value, account.Item.ModRevision)), "uid") ?? "";
        DateTimeOffset expires = _timeProvider.GetUtcNow().AddSeconds(seconds);
        string token = context.RequestServices.GetRequiredService<ServiceAccountTokens>().Issue(target.Namespace!, target.Name!, uid, audiences, expires);
        var audienceArray = new JsonArray();
        foreach (string audience in audiences)
        {
            audienceArray.Add((JsonNode)audience);
        }

        var response = new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = target.Name, ["namespace"] = target.Namespace, ["creationTimestamp"] = Timestamp() },
            ["spec"] = new JsonObject { ["audiences"] = audienceArray, ["expirationSeconds"] = seconds, ["boundObjectRef"] = null },
            ["status"] = new JsonObject { ["token"] = token, ["expirationTimestamp"] = ServiceAccountTokens.FormatTime(expires) },
        };
        await JsonResponses.WriteObjectAsync(context, StatusCodes.Status201Created, response).ConfigureAwait(false);
    }
}
