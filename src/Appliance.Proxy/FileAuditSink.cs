namespace Appliance.Proxy;

/// <summary>
/// Audit lines appended to a file (created 0600 in a 0700 directory: lines name users and paths), flushed
/// per line so a crash loses at most the line being written. Called from the audit log's one drain task.
/// </summary>
public sealed class FileAuditSink : IProxyAuditSink, IDisposable
{
    private readonly FileStream _file;

    public FileAuditSink(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
    }

    public void Write(ReadOnlySpan<byte> line)
    {
        _file.Write(line);
        _file.Flush();
    }

    public void Dispose() => _file.Dispose();
}
