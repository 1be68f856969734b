namespace Appliance.Auth.GitHub;

/// <summary>A value from GitHub, or the named status and a readable reason there is none.</summary>
/// <remarks>The reason is for logs and for an administrator; it never holds the client secret, a code or a token.</remarks>
public sealed class GitHubResult<T>
    where T : class
{
    private GitHubResult(GitHubStatus status, T? value, string reason)
    {
        Status = status;
        Value = value;
        Reason = reason;
    }

    public GitHubStatus Status { get; }

    /// <summary>Set exactly when <see cref="Status"/> is <see cref="GitHubStatus.Success"/>.</summary>
    public T? Value { get; }

    /// <summary>Empty on success.</summary>
    public string Reason { get; }

    public bool Succeeded => Status == GitHubStatus.Success;

    public static GitHubResult<T> Success(T value) => new(GitHubStatus.Success, value ?? throw new ArgumentNullException(nameof(value)), "");

    public static GitHubResult<T> Failure(GitHubStatus status, string reason)
        => status == GitHubStatus.Success
            ? throw new ArgumentException("A failure needs a failure status.", nameof(status))
            : new GitHubResult<T>(status, null, reason ?? "");

    /// <summary>The same failure carried as another result type.</summary>
    public GitHubResult<TOther> AsFailure<TOther>()
        where TOther : class
        => Succeeded
            ? throw new InvalidOperationException("A success has no failure to carry.")
            : GitHubResult<TOther>.Failure(Status, Reason);

    public override string ToString() => Succeeded ? "Success" : $"{Status}: {Reason}";
}
