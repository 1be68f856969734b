namespace Appliance.Tests;

/// <summary>A fresh directory under /tmp, removed with everything in it when disposed.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory() => Path = Directory.CreateTempSubdirectory("appliance-test-").FullName;

    public string Path { get; }

    public override string ToString() => Path;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a lingering child may still hold a file; /tmp is cleaned anyway.
        }
    }
}
