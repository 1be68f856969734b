using System.Text.Json.Nodes;
using Appliance.Api.Security;
using Microsoft.AspNetCore.Http;

namespace Appliance.Api;

/// <summary>
/// The two request-only kinds every client uses: SelfSubjectAccessReview (<c>kubectl auth can-i</c>) and
/// SelfSubjectReview (<c>kubectl auth whoami</c>). They answer about the caller as the gate sees it,
/// impersonation included; nothing is stored.
/// </summary>
public sealed partial class ResourceEngine
{
    internal async Task SelfSubjectAccessReviewAsync(HttpContext context, RbacCache rbac)
    {
        try
        {
            ResourceDefinition definition = Registry.Find("authorization.k8s.io", "v1", "selfsubjectaccessreviews")!;
            JsonObject review = await ReadObjectAsync(context, definition).ConfigureAwait(false);
            JsonObject spec = review["spec"] as JsonObject ?? [];
            RequestAttributes attributes;
            if (spec["resourceAttributes"] is JsonObject resource)
            {
                attributes = RequestAttributes.ForResource(
                    GetString(resource, "verb") ?? "", GetString(resource, "group") ?? "", GetString(resource, "resource") ?? "",
                    GetString(resource, "subresource") ?? "", GetString(resource, "namespace") ?? "", GetString(resource, "name") ?? "");
            }
            else if (spec["nonResourceAttributes"] is JsonObject nonResource)
            {
                attributes = RequestAttributes.ForPath(GetString(nonResource, "verb") ?? "", GetString(nonResource, "path") ?? "");
            }
            else
            {
                throw new ApiException(ApiErrors.Invalid("authorization.k8s.io", "SelfSubjectAccessReview", "",
                    [new ApiStatusCause { Reason = "FieldValueRequired", Field = "spec.resourceAttributes", Message = "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified" }]));
            }

            AuthorizationDecision decision = RbacAuthorizer.Authorize(rbac.Snapshot, ApiSecurity.CurrentUser(context), attributes);
            var status = new JsonObject { ["allowed"] = decision.Allowed };
            if (decision.Reason.Length > 0)
            {
                status["reason"] = decision.Reason;
            }

            var response = new JsonObject
            {
                ["kind"] = "SelfSubjectAccessReview",
                ["apiVersion"] = "authorization.k8s.io/v1",
                ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
                ["spec"] = spec.DeepClone(),
                ["status"] = status,
            };
            await JsonResponses.WriteObjectAsync(context, StatusCodes.Status201Created, response).ConfigureAwait(false);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await JsonResponses.WriteStatusAsync(context, e.Status).ConfigureAwait(false);
        }
    }

    internal static Task SelfSubjectReviewAsync(HttpContext context)
    {
        RequestUser user = ApiSecurity.CurrentUser(context);
        var groups = new JsonArray();
        foreach (string group in user.Groups)
        {
            groups.Add((JsonNode)group);
        }

        var userInfo = new JsonObject { ["username"] = user.Name, ["groups"] = groups };
        if (user.Uid.Length > 0)
        {
            userInfo["uid"] = user.Uid;
        }

        if (user.Extra.Count > 0)
        {
            var extra = new JsonObject();
            foreach ((string key, IReadOnlyList<string> values) in user.Extra)
            {
                var list = new JsonArray();
                foreach (string value in values)
                {
                    list.Add((JsonNode)value);
                }

                extra[key] = list;
            }

            userInfo["extra"] = extra;
        }

        var response = new JsonObject
        {
            ["kind"] = "SelfSubjectReview",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["status"] = new JsonObject { ["userInfo"] = userInfo },
        };
        return JsonResponses.WriteObjectAsync(context, StatusCodes.Status201Created, response);
    }
}
