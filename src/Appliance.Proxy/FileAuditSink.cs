using Appliance.Auth;

namespace Appliance.Proxy;

/// <summary>Audit lines appended to a file that rotates by size (<see cref="AuditFile"/>). Called from the audit log's one drain task.</summary>
public sealed class FileAuditSink : IProxyAuditSink, IDisposable
{
    private readonly AuditFile _file;

    public FileAuditSink(string path, long maxBytes = AuditFile.DefaultMaxBytes, int maxBackups = AuditFile.DefaultMaxBackups) =>
        _file = new AuditFile(path, maxBytes, maxBackups);

    public void Write(ReadOnlySpan<byte> line) => _file.Write(line);

    public void Dispose() => _file.Dispose();
}
