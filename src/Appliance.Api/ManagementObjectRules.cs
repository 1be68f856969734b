using System.Text.Json;
using System.Text.Json.Nodes;
using static Appliance.Api.FieldRules;

namespace Appliance.Api;

/// <summary>
/// Write rules of the management.appliance.io kinds, the one place their fields are defined (Rancher's
/// shapes where Rancher has them, so its habits carry over): referenced from <see cref="ResourceRegistry"/>.
/// </summary>
internal static class ManagementObjectRules
{
    /// <summary>
    /// Cluster: <c>spec.displayName</c>, <c>spec.type</c> <c>agent</c> (reached through its tunnel) or
    /// <c>direct</c> (with <c>spec.direct.apiEndpoint</c>, an https URL, <c>caBundle</c> PEM and
    /// <c>tokenSecretRef</c> {namespace, name} of the Secret holding its service-account token).
    /// </summary>
    public static void PrepareCluster(JsonObject cluster, List<ApiStatusCause> causes)
    {
        JsonObject spec = cluster["spec"] as JsonObject ?? [];
        cluster["spec"] = spec;
        OptionalString(spec, "displayName", "spec.displayName", causes);
        OptionalString(spec, "description", "spec.description", causes);
        spec["type"] ??= "agent";
        switch (Text(spec["type"]))
        {
            case "agent":
                break;
            case "direct":
                JsonObject? direct = spec["direct"] as JsonObject;
                string? endpoint = Text(direct?["apiEndpoint"]);
                if (endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttps)
                {
                    causes.Add(Invalid("spec.direct.apiEndpoint", "must be an https URL of the cluster's API"));
                }

                if (direct?["caBundle"] is JsonNode caBundle && Text(caBundle)?.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) != true)
                {
                    causes.Add(Invalid("spec.direct.caBundle", "must be PEM certificates"));
                }

                if (string.IsNullOrEmpty(Text(direct?["tokenSecretRef"]?["namespace"])) || string.IsNullOrEmpty(Text(direct?["tokenSecretRef"]?["name"])))
                {
                    causes.Add(Required("spec.direct.tokenSecretRef"));
                }

                break;
            default:
                causes.Add(NotSupported("spec.type", Text(spec["type"]), "\"agent\", \"direct\""));
                break;
        }
    }

    /// <summary>GlobalRole: <c>displayName</c>, <c>description</c>, <c>rules</c> (cluster-wide policy rules), <c>newUserDefault</c>.</summary>
    public static void PrepareGlobalRole(JsonObject role, List<ApiStatusCause> causes)
    {
        OptionalString(role, "displayName", "displayName", causes);
        OptionalString(role, "description", "description", causes);
        DefaultBool(role, "newUserDefault", false, causes);
        RbacObjectRules.PrepareClusterRole(role, causes);
    }

    /// <summary>GlobalRoleBinding: <c>globalRoleName</c> and exactly one of <c>userName</c> / <c>groupPrincipalName</c>.</summary>
    public static void PrepareGlobalRoleBinding(JsonObject binding, List<ApiStatusCause> causes)
    {
        RequiredString(binding, "globalRoleName", causes);
        OneSubject(binding, causes);
    }

    /// <summary>RoleTemplate: <c>context</c> <c>cluster</c> or <c>project</c>, <c>displayName</c>, <c>rules</c>.</summary>
    public static void PrepareRoleTemplate(JsonObject template, List<ApiStatusCause> causes)
    {
        OptionalString(template, "displayName", "displayName", causes);
        if (Text(template["context"]) is not ("cluster" or "project"))
        {
            causes.Add(NotSupported("context", Text(template["context"]), "\"cluster\", \"project\""));
        }

        RbacObjectRules.PrepareClusterRole(template, causes);
    }

    /// <summary>ClusterRoleTemplateBinding: <c>clusterName</c>, <c>roleTemplateName</c> and one subject.</summary>
    public static void PrepareClusterRoleTemplateBinding(JsonObject binding, List<ApiStatusCause> causes)
    {
        RequiredString(binding, "clusterName", causes);
        RequiredString(binding, "roleTemplateName", causes);
        OneSubject(binding, causes);
    }

    /// <summary>Project: <c>spec.clusterName</c>, <c>spec.displayName</c>, <c>spec.namespaces</c> (the downstream namespaces it groups).</summary>
    public static void PrepareProject(JsonObject project, List<ApiStatusCause> causes)
    {
        JsonObject spec = project["spec"] as JsonObject ?? [];
        project["spec"] = spec;
        RequiredString(spec, "clusterName", causes, "spec.");
        OptionalString(spec, "displayName", "spec.displayName", causes);
        if (spec["namespaces"] is JsonNode namespaces)
        {
            if (namespaces is not JsonArray list)
            {
                causes.Add(Invalid("spec.namespaces", "must be a list of namespace names"));
                return;
            }

            for (int i = 0; i < list.Count; i++)
            {
                string? name = Text(list[i]);
                if (name is null || NameValidation.Validate(name, NameRule.DnsLabel) is not null)
                {
                    causes.Add(Invalid($"spec.namespaces[{i}]", "must be a namespace name"));
                }
            }
        }
    }

    /// <summary>ProjectRoleTemplateBinding: <c>projectName</c>, <c>roleTemplateName</c> and one subject.</summary>
    public static void PrepareProjectRoleTemplateBinding(JsonObject binding, List<ApiStatusCause> causes)
    {
        RequiredString(binding, "projectName", causes);
        RequiredString(binding, "roleTemplateName", causes);
        OneSubject(binding, causes);
    }

    /// <summary>
    /// AuthConfig (one per provider: local, activedirectory, openldap, github): <c>enabled</c>,
    /// <c>accessMode</c> unrestricted / restricted / required, <c>allowedPrincipalIds</c>; provider settings
    /// beside them (the directory ones in <see cref="Security.DirectoryAuthConfig"/>, GitHub's in <see cref="Security.GitHubAuthConfig"/>).
    /// </summary>
    public static void PrepareAuthConfig(JsonObject config, List<ApiStatusCause> causes)
    {
        string? provider = Text(config["metadata"]?["name"]);
        if (Security.DirectoryAuthConfig.IsDirectory(provider))
        {
            Security.DirectoryAuthConfig.Validate(provider!, config, causes);
        }
        else if (provider == Security.GitHubAuthConfig.Name)
        {
            Security.GitHubAuthConfig.Validate(config, causes);
        }

        DefaultBool(config, "enabled", false, causes);
        config["accessMode"] ??= "unrestricted";
        if (Text(config["accessMode"]) is not ("unrestricted" or "restricted" or "required"))
        {
            causes.Add(NotSupported("accessMode", Text(config["accessMode"]), "\"unrestricted\", \"restricted\", \"required\""));
        }

        if (config["allowedPrincipalIds"] is JsonNode ids)
        {
            if (ids is not JsonArray list)
            {
                causes.Add(Invalid("allowedPrincipalIds", "must be a list of principal ids"));
                return;
            }

            for (int i = 0; i < list.Count; i++)
            {
                if (!Appliance.Auth.PrincipalId.TryParse(Text(list[i]), out _))
                {
                    causes.Add(Invalid($"allowedPrincipalIds[{i}]", "must be a principal id such as local://u-abcde"));
                }
            }
        }
    }

    private static void OneSubject(JsonObject binding, List<ApiStatusCause> causes)
    {
        OptionalString(binding, "userName", "userName", causes);
        OptionalString(binding, "groupPrincipalName", "groupPrincipalName", causes);
        bool user = !string.IsNullOrEmpty(Text(binding["userName"]));
        bool group = !string.IsNullOrEmpty(Text(binding["groupPrincipalName"]));
        if (user == group)
        {
            causes.Add(Invalid("userName", "exactly one of userName and groupPrincipalName must be set"));
        }
    }

    private static void RequiredString(JsonObject obj, string property, List<ApiStatusCause> causes, string pathPrefix = "")
    {
        if (string.IsNullOrEmpty(Text(obj[property])))
        {
            causes.Add(Required(pathPrefix + property));
        }
    }
}
