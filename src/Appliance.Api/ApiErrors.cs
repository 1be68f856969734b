namespace Appliance.Api;

/// <summary>
/// Status bodies with kube-apiserver's codes, reasons and message wording
/// (apimachinery <c>pkg/api/errors/errors.go</c>), which clients match on.
/// </summary>
public static class ApiErrors
{
    public static ApiStatus NotFound(string group, string resource, string name) => new()
    {
        Code = 404,
        Reason = "NotFound",
        Message = $"{Qualified(group, resource)} \"{name}\" not found",
        Details = new ApiStatusDetails { Name = name, Group = NullIfEmpty(group), Kind = resource },
    };

    /// <summary>A path that names no resource: kube-apiserver's plain 404.</summary>
    public static ApiStatus NotFoundPath() => new()
    {
        Code = 404,
        Reason = "NotFound",
        Message = "the server could not find the requested resource",
        Details = new ApiStatusDetails(),
    };

    public static ApiStatus AlreadyExists(string group, string resource, string name) => new()
    {
        Code = 409,
        Reason = "AlreadyExists",
        Message = $"{Qualified(group, resource)} \"{name}\" already exists",
        Details = new ApiStatusDetails { Name = name, Group = NullIfEmpty(group), Kind = resource },
    };

    public static ApiStatus Conflict(string group, string resource, string name) => new()
    {
        Code = 409,
        Reason = "Conflict",
        Message = $"Operation cannot be fulfilled on {Qualified(group, resource)} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
        Details = new ApiStatusDetails { Name = name, Group = NullIfEmpty(group), Kind = resource },
    };

    /// <summary>422 with one cause per invalid field; the message lists them as kube-apiserver does.</summary>
    public static ApiStatus Invalid(string group, string kind, string name, List<ApiStatusCause> causes)
    {
        string summary = causes.Count == 1
            ? causes[0].Field + ": " + causes[0].Message
            : "[" + string.Join(", ", causes.Select(static c => c.Field + ": " + c.Message)) + "]";
        return new ApiStatus
        {
            Code = 422,
            Reason = "Invalid",
            Message = $"{Qualified(group, kind)} \"{name}\" is invalid: {summary}",
            Details = new ApiStatusDetails { Name = name, Group = NullIfEmpty(group), Kind = kind, Causes = causes },
        };
    }

    public static ApiStatus BadRequest(string message) => new() { Code = 400, Reason = "BadRequest", Message = message };

    /// <summary>410 for a resourceVersion or continue token older than the compacted history.</summary>
    public static ApiStatus Expired(string message) => new() { Code = 410, Reason = "Expired", Message = message };

    /// <summary>
    /// A read "not older than" a revision the store has not reached: kube-apiserver's 504 with the
    /// ResourceVersionTooLarge cause, which client-go's reflector recognises and retries.
    /// </summary>
    public static ApiStatus TooLargeResourceVersion(long requested, long current) => new()
    {
        Code = 504,
        Reason = "Timeout",
        Message = $"Too large resource version: {requested}, current: {current}",
        Details = new ApiStatusDetails
        {
            Causes = [new ApiStatusCause { Reason = "ResourceVersionTooLarge", Message = "Too large resource version" }],
            RetryAfterSeconds = 1,
        },
    };

    public static ApiStatus MethodNotAllowed(string method) => new()
    {
        Code = 405,
        Reason = "MethodNotAllowed",
        Message = $"the server does not allow this method on the requested resource ({method})",
        Details = new ApiStatusDetails(),
    };

    /// <summary>kube-apiserver's 401 for a request without valid credentials (no detail, on purpose).</summary>
    public static ApiStatus Unauthorized() => new() { Code = 401, Reason = "Unauthorized", Message = "Unauthorized" };

    /// <summary>
    /// kube-apiserver's 403 wording (<c>responsewriters.Forbidden</c>): the qualified resource and name,
    /// then who cannot do what where, so a user sees exactly which permission is missing.
    /// </summary>
    public static ApiStatus Forbidden(string group, string resource, string name, string reason) => new()
    {
        Code = 403,
        Reason = "Forbidden",
        Message = resource.Length == 0
            ? "forbidden: " + reason
            : Qualified(group, resource) + (name.Length == 0 ? "" : $" \"{name}\"") + " is forbidden: " + reason,
        Details = new ApiStatusDetails { Name = NullIfEmpty(name), Group = NullIfEmpty(group), Kind = NullIfEmpty(resource) },
    };

    /// <summary>kube-apiserver's 429 when the in-flight limit is reached; clients retry after RetryAfterSeconds.</summary>
    public static ApiStatus TooManyRequests() => new()
    {
        Code = 429,
        Reason = "TooManyRequests",
        Message = "Too many requests, please try again later.",
        Details = new ApiStatusDetails { RetryAfterSeconds = 1 },
    };

    public static ApiStatus InternalError(string message) => new() { Code = 500, Reason = "InternalError", Message = message };

    /// <summary>The success Status kube-apiserver returns from a delete that does not return the object.</summary>
    public static ApiStatus Deleted(string group, string kind, string name, string? uid) => new()
    {
        Status = "Success",
        Code = 200,
        Details = new ApiStatusDetails { Name = name, Group = NullIfEmpty(group), Kind = kind, Uid = uid },
    };

    private static string Qualified(string group, string resource) => group.Length == 0 ? resource : resource + "." + group;

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
