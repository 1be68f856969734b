namespace Appliance.Api;

/// <summary>
/// A patch that cannot be applied. <see cref="Malformed"/> patches are the client's syntax error (400);
/// the others are well-formed but do not fit the object, e.g. a failed JSON patch <c>test</c> or a path
/// that is not there (422), as kube-apiserver answers them.
/// </summary>
internal sealed class PatchException(string message, bool malformed = false) : Exception(message)
{
    public bool Malformed { get; } = malformed;
}
