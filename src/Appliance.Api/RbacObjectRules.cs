using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Auth;
using static Appliance.Api.FieldRules;

namespace Appliance.Api;

/// <summary>
/// Write rules of the RBAC kinds (kube's <c>pkg/apis/rbac/validation</c>, messages alike) and of the
/// identity kinds User and Token, referenced from <see cref="ResourceRegistry"/>.
/// </summary>
internal static class RbacObjectRules
{
    public static void PrepareRole(JsonObject role, List<ApiStatusCause> causes) => ValidateRules(role, namespaced: true, causes);

    public static void PrepareClusterRole(JsonObject role, List<ApiStatusCause> causes) => ValidateRules(role, namespaced: false, causes);

    public static void PrepareRoleBinding(JsonObject binding, List<ApiStatusCause> causes) => ValidateBinding(binding, namespaced: true, causes);

    public static void PrepareClusterRoleBinding(JsonObject binding, List<ApiStatusCause> causes) => ValidateBinding(binding, namespaced: false, causes);

    /// <summary>
    /// A User: optional <c>username</c> (local users have one), <c>displayName</c>, <c>principalIds</c>
    /// (the person's principal ids), <c>groupPrincipalIds</c> (their groups, as the provider last reported
    /// them), <c>enabled</c> (default true) and <c>mustChangePassword</c> (default false).
    /// </summary>
    public static void PrepareUser(JsonObject user, List<ApiStatusCause> causes)
    {
        OptionalString(user, "username", "username", causes);
        OptionalString(user, "displayName", "displayName", causes);
        DefaultBool(user, "enabled", true, causes);
        DefaultBool(user, "mustChangePassword", false, causes);
        ValidatePrincipals(user, "principalIds", groups: false, causes);
        ValidatePrincipals(user, "groupPrincipalIds", groups: true, causes);
    }

    /// <summary>A list of principal ids, of groups (<c>groupPrincipalIds</c>) or of the person (<c>principalIds</c>).</summary>
    private static void ValidatePrincipals(JsonObject user, string property, bool groups, List<ApiStatusCause> causes)
    {
        if (user[property] is not JsonNode node)
        {
            return;
        }

        if (node is not JsonArray list)
        {
            causes.Add(Invalid(property, "must be a list of principal ids"));
            return;
        }

        for (int i = 0; i < list.Count; i++)
        {
            if (!PrincipalId.TryParse(Text(list[i]), out PrincipalId principal) || principal.IsGroup != groups)
            {
                causes.Add(Invalid($"{property}[{i}]", groups ? "must be a group principal id such as openldap_group://<entryUUID>" : "must be a principal id such as local://u-abcde"));
            }
        }
    }

    /// <summary>
    /// A Token: <c>userId</c> (required), <c>hash</c> (required: base64 of the 32-byte HMAC of the secret),
    /// <c>type</c> (session, kubeconfig or apikey; default apikey), optional <c>expiresAt</c> (RFC 3339),
    /// <c>description</c> and <c>authProvider</c> (the provider the user signed in through: local, openldap,
    /// activedirectory or github; none is local).
    /// </summary>
    public static void PrepareToken(JsonObject token, List<ApiStatusCause> causes)
    {
        if (string.IsNullOrEmpty(Text(token["userId"])))
        {
            causes.Add(Required("userId"));
        }

        string? hash = Text(token["hash"]);
        Span<byte> decoded = stackalloc byte[TokenHasher.HashBytes + 3];
        if (hash is null || !Convert.TryFromBase64String(hash, decoded, out int length) || length != TokenHasher.HashBytes)
        {
            causes.Add(Invalid("hash", $"must be the base64 encoding of {TokenHasher.HashBytes} bytes"));
        }

        token["type"] ??= "apikey";
        if (Text(token["type"]) is not ("session" or "kubeconfig" or "apikey"))
        {
            causes.Add(new ApiStatusCause { Reason = "FieldValueNotSupported", Field = "type", Message = "Unsupported value: supported values: \"session\", \"kubeconfig\", \"apikey\"" });
        }

        if (token["expiresAt"] is JsonNode expiresAt && !TryParseTime(Text(expiresAt), out _))
        {
            causes.Add(Invalid("expiresAt", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z"));
        }

        OptionalString(token, "description", "description", causes);
        if (token["authProvider"] is JsonNode provider && Text(provider) is not ("local" or "openldap" or "activedirectory" or "github"))
        {
            causes.Add(new ApiStatusCause { Reason = "FieldValueNotSupported", Field = "authProvider", Message = "Unsupported value: supported values: \"local\", \"openldap\", \"activedirectory\", \"github\"" });
        }
    }

    public static bool TryParseTime(string? text, out DateTimeOffset time)
        => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private static void ValidateRules(JsonObject role, bool namespaced, List<ApiStatusCause> causes)
    {
        if (role["rules"] is null)
        {
            return;
        }

        if (role["rules"] is not JsonArray rules)
        {
            causes.Add(Invalid("rules", "must be a list of policy rules"));
            return;
        }

        for (int i = 0; i < rules.Count; i++)
        {
            string path = $"rules[{i}]";
            if (rules[i] is not JsonObject rule)
            {
                causes.Add(Invalid(path, "must be a policy rule"));
                continue;
            }

            int verbs = StringList(rule, "verbs", path, causes);
            int groups = StringList(rule, "apiGroups", path, causes);
            int resources = StringList(rule, "resources", path, causes);
            StringList(rule, "resourceNames", path, causes);
            int urls = StringList(rule, "nonResourceURLs", path, causes);
            if (verbs == 0)
            {
                causes.Add(new ApiStatusCause { Reason = "FieldValueRequired", Field = path + ".verbs", Message = "Required value: verbs must contain at least one value" });
            }

            if (urls > 0)
            {
                if (namespaced)
                {
                    causes.Add(Invalid(path + ".nonResourceURLs", "namespaced rules cannot apply to non-resource URLs"));
                }
                else if (groups > 0 || resources > 0)
                {
                    causes.Add(Invalid(path + ".nonResourceURLs", "rules cannot apply to both regular resources and non-resource URLs"));
                }
            }
            else
            {
                if (groups == 0)
                {
                    causes.Add(new ApiStatusCause { Reason = "FieldValueRequired", Field = path + ".apiGroups", Message = "Required value: resource rules must supply at least one api group" });
                }

                if (resources == 0)
                {
                    causes.Add(new ApiStatusCause { Reason = "FieldValueRequired", Field = path + ".resources", Message = "Required value: resource rules must supply at least one resource" });
                }
            }
        }
    }

    private static void ValidateBinding(JsonObject binding, bool namespaced, List<ApiStatusCause> causes)
    {
        if (binding["roleRef"] is not JsonObject roleRef)
        {
            causes.Add(Required("roleRef"));
        }
        else
        {
            if (Text(roleRef["apiGroup"]) != ResourceRegistry.RbacGroup)
            {
                causes.Add(new ApiStatusCause { Reason = "FieldValueNotSupported", Field = "roleRef.apiGroup", Message = $"Unsupported value: \"{Text(roleRef["apiGroup"])}\": supported values: \"{ResourceRegistry.RbacGroup}\"" });
            }

            string? kind = Text(roleRef["kind"]);
            if (namespaced ? kind is not ("Role" or "ClusterRole") : kind != "ClusterRole")
            {
                string supported = namespaced ? "\"Role\", \"ClusterRole\"" : "\"ClusterRole\"";
                causes.Add(new ApiStatusCause { Reason = "FieldValueNotSupported", Field = "roleRef.kind", Message = $"Unsupported value: \"{kind}\": supported values: {supported}" });
            }

            if (string.IsNullOrEmpty(Text(roleRef["name"])))
            {
                causes.Add(Required("roleRef.name"));
            }
        }

        if (binding["subjects"] is null)
        {
            return;
        }

        if (binding["subjects"] is not JsonArray subjects)
        {
            causes.Add(Invalid("subjects", "must be a list of subjects"));
            return;
        }

        for (int i = 0; i < subjects.Count; i++)
        {
            string path = $"subjects[{i}]";
            if (subjects[i] is not JsonObject subject)
            {
                causes.Add(Invalid(path, "must be a subject"));
                continue;
            }

            ValidateSubject(subject, path, namespaced, causes);
        }
    }

    private static void ValidateSubject(JsonObject subject, string path, bool namespaced, List<ApiStatusCause> causes)
    {
        if (string.IsNullOrEmpty(Text(subject["name"])))
        {
            causes.Add(Required(path + ".name"));
        }

        switch (Text(subject["kind"]))
        {
            case "ServiceAccount":
                if (!string.IsNullOrEmpty(Text(subject["apiGroup"])))
                {
                    causes.Add(new ApiStatusCause { Reason = "FieldValueNotSupported", Field = path + ".apiGroup", Message = $"Unsupported value: \"{Text(subject["apiGroup"])}\": supported values: \"\"" });
                }

                if (!namespaced && string.IsNullOrEmpty(Text(subject["namespace"])))
                {
                    causes.Add(Required(path + ".namespace"));
                }

                break;
            case "User" or "Group":
                // kube's v1 defaulting: a User or Group subject without apiGroup is an RBAC subject.
                subject["apiGroup"] ??= ResourceRegistry.RbacGroup;
                if (Text(subject["apiGroup"]) != ResourceRegistry.RbacGroup)
                {
                    causes.Add(new ApiStatusCause { Reason = "FieldValueNotSupported", Field = path + ".apiGroup", Message = $"Unsupported value: \"{Text(subject["apiGroup"])}\": supported values: \"{ResourceRegistry.RbacGroup}\"" });
                }

                break;
            default:
                causes.Add(new ApiStatusCause { Reason = "FieldValueNotSupported", Field = path + ".kind", Message = $"Unsupported value: \"{Text(subject["kind"])}\": supported values: \"ServiceAccount\", \"User\", \"Group\"" });
                break;
        }
    }

    /// <summary>The number of entries of an optional list of strings; a cause when it is something else.</summary>
    private static int StringList(JsonObject obj, string property, string path, List<ApiStatusCause> causes)
    {
        if (obj[property] is null)
        {
            return 0;
        }

        if (obj[property] is JsonArray list)
        {
            foreach (JsonNode? item in list)
            {
                if (Text(item) is null)
                {
                    causes.Add(Invalid(path + "." + property, "must be a list of strings"));
                    return list.Count;
                }
            }

            return list.Count;
        }

        causes.Add(Invalid(path + "." + property, "must be a list of strings"));
        return 0;
    }
}
