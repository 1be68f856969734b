using System.Text.Json.Serialization;

namespace Appliance.Auth.GitHub;

// GitHub's answers, only the fields the sign-in reads; unknown fields are ignored. Source-generated
// (GitHubJsonContext) because the product is NativeAOT: no reflection-based serialization.

/// <summary><c>POST /login/oauth/access_token</c> with <c>Accept: application/json</c>: a token, or GitHub's error triple (with HTTP 200).</summary>
internal sealed class GitHubTokenResponse
{
    [JsonPropertyName("access_token")]
    public string? AccessToken { get; set; }

    [JsonPropertyName("token_type")]
    public string? TokenType { get; set; }

    [JsonPropertyName("scope")]
    public string? Scope { get; set; }

    [JsonPropertyName("error")]
    public string? Error { get; set; }

    [JsonPropertyName("error_description")]
    public string? ErrorDescription { get; set; }
}

/// <summary><c>GET /user</c>.</summary>
internal sealed class GitHubUserResponse
{
    [JsonPropertyName("id")]
    public long Id { get; set; }

    [JsonPropertyName("login")]
    public string? Login { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }
}

/// <summary>An item of <c>GET /user/orgs</c>, and a team's <c>organization</c>.</summary>
internal sealed class GitHubOrganizationResponse
{
    [JsonPropertyName("id")]
    public long Id { get; set; }

    [JsonPropertyName("login")]
    public string? Login { get; set; }
}

/// <summary>An item of <c>GET /user/teams</c>.</summary>
internal sealed class GitHubTeamResponse
{
    [JsonPropertyName("id")]
    public long Id { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("slug")]
    public string? Slug { get; set; }

    [JsonPropertyName("organization")]
    public GitHubOrganizationResponse? Organization { get; set; }
}

/// <summary>The REST API's error body, e.g. 401 <c>{"message":"Bad credentials","documentation_url":…}</c>.</summary>
internal sealed class GitHubErrorResponse
{
    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(GitHubTokenResponse))]
[JsonSerializable(typeof(GitHubUserResponse))]
[JsonSerializable(typeof(List<GitHubOrganizationResponse>))]
[JsonSerializable(typeof(List<GitHubTeamResponse>))]
[JsonSerializable(typeof(GitHubErrorResponse))]
internal sealed partial class GitHubJsonContext : JsonSerializerContext;
