namespace Appliance.Store;

/// <summary>
/// Binds SQLitePCLRaw to the e_sqlite3 provider explicitly. Microsoft.Data.Sqlite would find it by
/// reflection, which NativeAOT trims away; with NativeSqlite.targets the same P/Invokes resolve to the
/// statically linked libe_sqlite3.a, so the binary needs no .so beside it.
/// </summary>
internal static class NativeSqlite
{
    private static int _initialized;

    public static void EnsureInitialized()
    {
        if (Interlocked.Exchange(ref _initialized, 1) == 0)
        {
            SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_e_sqlite3());
        }
    }
}
