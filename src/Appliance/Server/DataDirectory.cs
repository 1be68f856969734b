namespace Appliance.Server;

/// <summary>The server's state directory (`--data-dir`): certificates now, the store and keys later.</summary>
public sealed class DataDirectory
{
    /// <summary>As a systemd service the unit's StateDirectory= sets STATE_DIRECTORY; by hand, beside the caller.</summary>
    public static string DefaultPath => Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } state
        ? state.Split(':')[0]
        : ".appliance";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private DataDirectory(string path) => Path = path;

    public string Path { get; }

    public string TlsPath => System.IO.Path.Combine(Path, "tls");

    /// <summary>The store's SQLite database (with its -wal and -shm files beside it).</summary>
    public string StorePath => System.IO.Path.Combine(Path, "state.db");

    /// <summary>Creates the directory (owner-only) if needed and proves it is writable, or throws <see cref="CommandLineUsageException"/>.</summary>
    public static DataDirectory Open(string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(fullPath, OwnerOnly);
            string probe = System.IO.Path.Combine(fullPath, $".write-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandLineUsageException($"data dir '{path}' is not a writable directory: {e.Message}");
        }

        return new DataDirectory(fullPath);
    }
}
