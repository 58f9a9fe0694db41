using System.Runtime.InteropServices;

namespace SockPeer.Journal.Interop;

/// <summary>
/// The five SQLite calls of the recorder's insert, on the raw statement pointer. SQLitePCLRaw marshals its
/// statement as a SafeHandle, so each of an event's twenty binds took and released a reference (3.4 % of
/// the recorder's samples at 30,000 events a second), and its text binds turn each .NET string into a new
/// byte array; here the statement is pinned once for its lifetime and text goes in as UTF-8 spans. The
/// library is the one SQLitePCLRaw loaded (<see cref="SqliteLibrary"/>): the same soname, so the same handle.
/// </summary>
internal static unsafe partial class SqliteBind
{
    private const string Library = "libsqlite3.so.0";

    /// <summary>SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.</summary>
    private static readonly IntPtr Transient = new(-1);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
    public static partial int Int64(IntPtr statement, int index, long value);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_null")]
    public static partial int Null(IntPtr statement, int index);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_text")]
    private static partial int Text(IntPtr statement, int index, byte* text, int length, IntPtr destructor);

    [LibraryImport(Library, EntryPoint = "sqlite3_step")]
    public static partial int Step(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_reset")]
    public static partial int Reset(IntPtr statement);

    /// <summary>Binds UTF-8 text, copied by SQLite.</summary>
    public static int Text(IntPtr statement, int index, ReadOnlySpan<byte> utf8)
    {
        fixed (byte* p = utf8)
        {
            // A null pointer would bind NULL: an empty span gets a pointer to a zero-length buffer.
            byte empty = 0;
            return Text(statement, index, p is null ? &empty : p, utf8.Length, Transient);
        }
    }
}
