using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace SockPeer.Journal;

/// <summary>
/// The recorder's one prepared INSERT, bound and stepped through SQLite's own API: at 30,000 events a
/// second, Microsoft.Data.Sqlite's per-execution work (statement enumeration, parameters looked up by
/// name, each watch line turned into a .NET string and back into UTF-8) cost more than SQLite itself.
/// The line goes in as the UTF-8 bytes the writer made. Runs inside the caller's transaction.
/// </summary>
internal sealed class EventInsert : IDisposable
{
    private const string Sql = """
        INSERT INTO events (time_ns, kind, path, client_pid, client_fd, client_inode, client_command, client_uid, client_user, client_container,
            server_pid, server_fd, server_inode, server_command, server_uid, netns, duration_ns, source, session, json)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
        """;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public EventInsert(SqliteConnection connection)
    {
        _db = connection.Handle!;
        int rc = raw.sqlite3_prepare_v2(_db, Sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>Stores one row; a failure is the <see cref="SqliteException"/> Microsoft.Data.Sqlite would throw.</summary>
    public void Run(EventRow row, long session)
    {
        try
        {
            Int(1, row.TimeNs);
            Text(2, row.Kind);
            Text(3, row.Path);
            End(4, row.Client);
            Text(9, row.Client.User);
            Text(10, row.Client.Container);
            End(11, row.Server);
            Int(16, row.NetNs is ulong ns ? (long)ns : null);
            Int(17, row.DurationNs);
            Text(18, row.Source);
            Int(19, session);
            Check(raw.sqlite3_bind_text(_statement, 20, row.Json.Span));
            int rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>pid, fd, inode, command and uid of one end, from parameter <paramref name="first"/> on.</summary>
    private void End(int first, EventEnd end)
    {
        Int(first, end.Pid);
        Int(first + 1, end.Fd);
        Int(first + 2, end.Inode);
        Text(first + 3, end.Command);
        Int(first + 4, end.Uid);
    }

    private void Int(int index, long? value)
        => Check(value is long v ? raw.sqlite3_bind_int64(_statement, index, v) : raw.sqlite3_bind_null(_statement, index));

    private void Text(int index, string? value)
        => Check(value is null ? raw.sqlite3_bind_null(_statement, index) : raw.sqlite3_bind_text(_statement, index, value));

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    public void Dispose() => _statement.Dispose();
}
