using System.Text.Json.Serialization;

namespace Appliance.Api;

/// <summary>
/// The Kubernetes <c>meta/v1 Status</c> body every error (and a successful delete) answers with, so
/// client-go turns it into a typed error (apimachinery <c>pkg/apis/meta/v1/types.go</c>).
/// </summary>
public sealed class ApiStatus
{
    public string Kind { get; init; } = "Status";

    public string ApiVersion { get; init; } = "v1";

    // Always written, even empty: client-go decodes ListMeta from it.
    public Dictionary<string, string> Metadata { get; init; } = [];

    /// <summary>"Success" or "Failure".</summary>
    public string Status { get; init; } = "Failure";

    public string? Message { get; init; }

    /// <summary>The machine-readable StatusReason (NotFound, AlreadyExists, Conflict, Invalid, ...).</summary>
    public string? Reason { get; init; }

    public ApiStatusDetails? Details { get; init; }

    public int Code { get; init; }

    [JsonIgnore]
    public bool IsSuccess => Status == "Success";
}
