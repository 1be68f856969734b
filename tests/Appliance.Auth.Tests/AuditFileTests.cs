using System.Text;
using Appliance.Auth;

namespace Appliance.Auth.Tests;

public sealed class AuditFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("audit-file-").FullName;

    private string LogPath => Path.Combine(_directory, "audit", "proxy.log");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void LinesPastTheSizeLimit_RotateIntoNumberedBackups_NewestFirst_OldestDropped()
    {
        using (var file = new AuditFile(LogPath, maxBytes: 70, maxBackups: 2))
        {
            for (int i = 0; i < 12; i++)
            {
                file.Write(Encoding.ASCII.GetBytes($"{{\"line\":{i:D2},\"pad\":\"xxxxxxxxxxx\"}}\n")); // 32 bytes: two lines per file
            }
        }

        Assert.Equal(["proxy.log", "proxy.log.1", "proxy.log.2"], Directory.GetFiles(Path.GetDirectoryName(LogPath)!).Select(path => Path.GetFileName(path)).Order().ToArray());
        Assert.Equal([10, 11], LineNumbers(LogPath));
        Assert.Equal([8, 9], LineNumbers(LogPath + ".1"));
        Assert.Equal([6, 7], LineNumbers(LogPath + ".2"));
        foreach (string path in Directory.GetFiles(Path.GetDirectoryName(LogPath)!))
        {
            Assert.True(new FileInfo(path).Length <= 70);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void ReopenedFile_AppendsAndCountsWhatIsAlreadyThere()
    {
        // 32-byte lines: three fit in 100 bytes.
        using (var file = new AuditFile(LogPath, maxBytes: 100, maxBackups: 1))
        {
            file.Write("{\"line\":00,\"pad\":\"xxxxxxxxxxx\"}\n"u8);
            file.Write("{\"line\":01,\"pad\":\"xxxxxxxxxxx\"}\n"u8);
        }

        using (var file = new AuditFile(LogPath, maxBytes: 100, maxBackups: 1))
        {
            file.Write("{\"line\":02,\"pad\":\"xxxxxxxxxxx\"}\n"u8);
            file.Write("{\"line\":03,\"pad\":\"xxxxxxxxxxx\"}\n"u8);
        }

        Assert.Equal([0, 1, 2], LineNumbers(LogPath + ".1"));
        Assert.Equal([3], LineNumbers(LogPath));
    }

    [Fact]
    public void LineLargerThanTheLimit_IsWrittenWholeIntoAFileOfItsOwn()
    {
        string big = "{\"line\":01,\"pad\":\"" + new string('y', 300) + "\"}\n";
        using (var file = new AuditFile(LogPath, maxBytes: 100, maxBackups: 3))
        {
            file.Write("{\"line\":00}\n"u8);
            file.Write(Encoding.ASCII.GetBytes(big));
            file.Write("{\"line\":02}\n"u8);
        }

        Assert.Equal([2], LineNumbers(LogPath));
        Assert.Equal(big, File.ReadAllText(LogPath + ".1"));
        Assert.Equal([0], LineNumbers(LogPath + ".2"));
    }

    private static int[] LineNumbers(string path) =>
        File.ReadAllLines(path).Select(line => int.Parse(line.AsSpan(8, 2), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
