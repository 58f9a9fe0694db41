using System.Text;
using Microsoft.Data.Sqlite;
using SockPeer.Journal.Interop;
using SQLitePCL;

namespace SockPeer.Journal;

/// <summary>
/// The recorder's one prepared INSERT, bound and stepped through SQLite's own API: at 30,000 events a
/// second, Microsoft.Data.Sqlite's per-execution work (statement enumeration, parameters looked up by
/// name, each watch line turned into a .NET string and back into UTF-8) cost more than SQLite itself.
/// The line goes in as the UTF-8 bytes the writer made, the other texts through a stack buffer; the binds
/// go straight to SQLite (<see cref="SqliteBind"/>). Runs inside the caller's transaction.
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
    private readonly IntPtr _raw; // _statement's pointer, its SafeHandle referenced until Dispose
    private bool _referenced;

    public EventInsert(SqliteConnection connection)
    {
        _db = connection.Handle!;
        int rc = raw.sqlite3_prepare_v2(_db, Sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
        _statement.DangerousAddRef(ref _referenced);
        _raw = _statement.DangerousGetHandle();
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
            Check(SqliteBind.Text(_raw, 20, row.Json.Span));
            int rc = SqliteBind.Step(_raw);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
        finally
        {
            _ = SqliteBind.Reset(_raw); // repeats the failed step's code, already thrown
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
        => Check(value is long v ? SqliteBind.Int64(_raw, index, v) : SqliteBind.Null(_raw, index));

    private void Text(int index, string? value)
    {
        if (value is null)
        {
            Check(SqliteBind.Null(_raw, index));
            return;
        }
        int most = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> utf8 = most <= 1024 ? stackalloc byte[most] : new byte[most];
        Check(SqliteBind.Text(_raw, index, utf8[..Encoding.UTF8.GetBytes(value, utf8)]));
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    public void Dispose()
    {
        if (_referenced)
        {
            _statement.DangerousRelease();
            _referenced = false;
        }
        _statement.Dispose();
    }
}
