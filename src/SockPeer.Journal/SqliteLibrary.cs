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
            _ready = true;
        }
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
