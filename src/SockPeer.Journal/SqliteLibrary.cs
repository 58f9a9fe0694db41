using System.Runtime.InteropServices;

namespace SockPeer.Journal;

/// <summary>
/// Points SQLitePCLRaw at the system's SQLite, once per process: Debian ships <c>libsqlite3.so.0</c>
/// (package libsqlite3-0), while the provider asks for "sqlite3", which would find only the
/// development symlink <c>libsqlite3.so</c>.
/// </summary>
internal static class SqliteLibrary
{
    private static readonly Lock Gate = new();
    private static bool _ready;

    public static void Ensure()
    {
        lock (Gate)
        {
            if (_ready)
            {
                return;
            }
            NativeLibrary.SetDllImportResolver(typeof(SQLitePCL.SQLite3Provider_sqlite3).Assembly, Resolve);
            SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_sqlite3());
            ConfigureBeforeFirstOpen();
            _ready = true;
        }
    }

    /// <summary>
    /// Multi-thread mode: each connection here is used by one thread at a time (Microsoft.Data.Sqlite's
    /// own rule), so SQLite's per-call connection mutex, taken around every bind and step in the default
    /// serialized mode, only costs; with the memory statistics off, malloc stops taking a global mutex too.
    /// At 30,000 inserts a second these locks were 6 % of the recorder's samples. Must run before SQLite
    /// initializes (the first open); a library already initialized by someone else keeps its settings.
    /// </summary>
    private static void ConfigureBeforeFirstOpen()
    {
        SQLitePCL.raw.sqlite3_shutdown();
        SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MULTITHREAD);
        SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MEMSTATUS, 0);
        SQLitePCL.raw.sqlite3_initialize();
    }

    private static IntPtr Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? path)
    {
        if (name != "sqlite3")
        {
            return IntPtr.Zero;
        }
        foreach (string candidate in (string[])["libsqlite3.so.0", "libsqlite3.so"])
        {
            if (NativeLibrary.TryLoad(candidate, assembly, path, out IntPtr handle))
            {
                return handle;
            }
        }
        throw new DllNotFoundException("SQLite is not installed: libsqlite3.so.0 was not found (Debian and Ubuntu: apt install libsqlite3-0)");
    }
}
