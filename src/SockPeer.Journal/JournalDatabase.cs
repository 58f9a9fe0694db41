using Microsoft.Data.Sqlite;

namespace SockPeer.Journal;

/// <summary>Opening a journal's SQLite database, and the sentences for its errors.</summary>
internal static class JournalDatabase
{
    /// <summary>
    /// A writer gets WAL (readers never block it, a kill loses at most the transaction in progress),
    /// synchronous=NORMAL (durable at each checkpoint; a power cut may lose the last transactions, never
    /// the database) and incremental auto-vacuum (pruning can give space back). A new journal gets 64 KiB
    /// pages: the recorder appends ~1.5 KB a row, and with SQLite's default 4 KiB pages its CPU went mostly
    /// to one pwrite(2) and one pread(2) a page (WAL, then checkpoint), 54 % against 33 % of a core at
    /// 10,000 connections a second (bench/journal.py). An existing journal keeps its page size. A reader
    /// opens read-only. Both wait up to 5 s for a lock.
    /// </summary>
    public static SqliteConnection Open(string path, bool writable)
    {
        SqliteLibrary.Ensure();
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = writable ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 5,
        };
        var c = new SqliteConnection(builder.ConnectionString);
        try
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = writable
                ? "PRAGMA busy_timeout = 5000; PRAGMA page_size = 65536; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                : "PRAGMA busy_timeout = 5000;";
            cmd.ExecuteNonQuery();
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    /// <summary>Bytes the database uses (pages not on the free list).</summary>
    public static long UsedBytes(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())";
        using var r = cmd.ExecuteReader();
        r.Read();
        return r.GetInt64(0) * r.GetInt64(1);
    }

    /// <summary>The SQLite error in words a user can act on.</summary>
    public static string Explain(Exception e) => e switch
    {
        SqliteException { SqliteErrorCode: 13 } => "the disk is full (SQLITE_FULL)",
        SqliteException { SqliteErrorCode: 5 } => "the database is locked by another process (SQLITE_BUSY)",
        SqliteException { SqliteErrorCode: 6 } => "a table is locked (SQLITE_LOCKED)",
        SqliteException { SqliteErrorCode: 11 } => "the database is corrupt (SQLITE_CORRUPT)",
        SqliteException { SqliteErrorCode: 26 } => "not an SQLite database (SQLITE_NOTADB)",
        SqliteException { SqliteErrorCode: 8 } => "the database is read-only here (SQLITE_READONLY)",
        SqliteException { SqliteErrorCode: 14 } => "the file cannot be opened (SQLITE_CANTOPEN)",
        SqliteException s => $"SQLite error {s.SqliteErrorCode}: {s.Message.Replace("SQLite Error ", "", StringComparison.Ordinal)}",
        _ => e.Message,
    };
}
