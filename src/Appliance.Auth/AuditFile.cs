namespace Appliance.Auth;

/// <summary>
/// An append-only audit file (0600 in a 0700 directory: lines name users and paths) that rotates by size, as
/// Rancher's audit log does: when the next line would pass <see cref="MaxBytes"/>, <c>NAME</c> becomes
/// <c>NAME.1</c>, <c>NAME.1</c> becomes <c>NAME.2</c> and so on, the oldest beyond <see cref="MaxBackups"/> is
/// deleted, and a new <c>NAME</c> begins. A line is never split between files. Each line is flushed as it is
/// written, so a crash loses at most the line being written. Not thread-safe: one writer (a drain loop).
/// </summary>
public sealed class AuditFile : IDisposable
{
    /// <summary>Rancher's AUDIT_LOG_MAXSIZE default, 100 MB.</summary>
    public const long DefaultMaxBytes = 100L * 1024 * 1024;

    /// <summary>Rancher's AUDIT_LOG_MAXBACKUP default.</summary>
    public const int DefaultMaxBackups = 10;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _path;
    private FileStream _file;

    public AuditFile(string path, long maxBytes = DefaultMaxBytes, int maxBackups = DefaultMaxBackups)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBackups);
        _path = Path.GetFullPath(path);
        MaxBytes = maxBytes;
        MaxBackups = maxBackups;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!, OwnerOnly | UnixFileMode.UserExecute);
        _file = Open();
    }

    public long MaxBytes { get; }

    public int MaxBackups { get; }

    /// <summary>Appends one whole line (the caller ends it with a newline).</summary>
    public void Write(ReadOnlySpan<byte> line)
    {
        // A file holding nothing yet takes even an oversized line: rotating would only make empty files.
        if (_file.Length > 0 && _file.Length + line.Length > MaxBytes)
        {
            Rotate();
        }

        _file.Write(line);
        _file.Flush();
    }

    public void Dispose() => _file.Dispose();

    private void Rotate()
    {
        _file.Dispose();
        if (MaxBackups == 0)
        {
            File.Delete(_path);
        }
        else
        {
            File.Delete(Backup(MaxBackups));
            for (int i = MaxBackups - 1; i >= 1; i--)
            {
                if (File.Exists(Backup(i)))
                {
                    File.Move(Backup(i), Backup(i + 1));
                }
            }

            File.Move(_path, Backup(1));
        }

        _file = Open();
    }

    private string Backup(int number) => $"{_path}.{number}";

    private FileStream Open() => new(_path, new FileStreamOptions
    {
        Mode = FileMode.Append,
        Access = FileAccess.Write,
        Share = FileShare.Read,
        UnixCreateMode = OwnerOnly,
    });
}
