using System.Security.Cryptography;

namespace Appliance.Auth;

/// <summary>
/// A server key: 32 random bytes in a 0600 file in the data dir, created on first start and reused
/// after. The token HMAC key (<see cref="FileName"/>) keeps stored token hashes valid across restarts while
/// a copied database alone lets nobody test guessed secrets offline; the Secret encryption key
/// (<see cref="SecretEncryption.FileName"/>) keeps a copied database from leaking credentials.
/// </summary>
public static class ServerKeyFile
{
    public const string FileName = "token-hmac.key";
    public const int KeyBytes = 32;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static byte[] LoadOrCreate(string directory) => LoadOrCreate(directory, FileName);

    public static byte[] LoadOrCreate(string directory, string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, fileName);
        if (File.Exists(path))
        {
            return Load(path);
        }

        // Write a temporary file and move it into place without overwriting: a crash never leaves
        // a short key file, and of two processes racing on first start both end up with the winner's key.
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        var temporary = Path.Combine(directory, $".{fileName}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                // Created 0600 from the start, never briefly readable by others.
                options.UnixCreateMode = OwnerOnly;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(key);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: false);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return Load(path);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static byte[] Load(string path)
    {
        var key = File.ReadAllBytes(path);
        if (key.Length != KeyBytes)
        {
            throw new InvalidDataException(
                $"{path} holds {key.Length} bytes, not the {KeyBytes} of a server key. Restore it from a backup: without it, what it protects (issued tokens, encrypted Secrets) is lost.");
        }

        return key;
    }
}
