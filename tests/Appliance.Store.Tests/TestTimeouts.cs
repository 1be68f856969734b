namespace Appliance.Store.Tests;

/// <summary>Upper bounds so a bug fails a test instead of hanging the run.</summary>
internal static class TestTimeouts
{
    /// <summary>Per async test (xunit's Timeout); the slowest store test takes a few seconds.</summary>
    public const int Test = 60_000;

    /// <summary>The SIGKILL rounds test, which itself asserts it finished within two minutes.</summary>
    public const int CrashTest = 180_000;
}
