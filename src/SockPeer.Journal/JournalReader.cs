using System.Text;
using Microsoft.Data.Sqlite;

namespace SockPeer.Journal;

/// <summary>
/// What <c>history</c> asks the database for, before list's filters run on each event: a time window,
/// event kinds, and a literal prefix of the path glob (everything up to its first wildcard), which the
/// (path, time) index answers. A superset of what the filters keep, never less.
/// </summary>
internal sealed record HistoryQuery(DateTimeOffset? Since, DateTimeOffset? Until, IReadOnlyCollection<string> Kinds, string? PathPrefix)
{
    /// <summary>The glob has no wildcard: the prefix is the whole name, and the index answers (path, time) directly.</summary>
    public bool PathIsExact { get; init; }

    /// <summary>The literal start of a glob ('/run/app/*' gives '/run/app/'); null when the glob can match other names (no leading '/').</summary>
    public static string? PrefixOf(string? glob)
    {
        if (glob is null || !glob.StartsWith('/'))
        {
            return null;
        }
        int wild = glob.IndexOfAny(['*', '?', '[', '\\']);
        return wild < 0 ? glob : glob[..wild];
    }
}

/// <summary>One stored event: its indexed columns (for --summary) and its exact watch line.</summary>
internal sealed record StoredEvent(long TimeNs, string Kind, string? Path, string? ClientCommand, string? ClientUser, string? ClientContainer, uint? ClientUid, long? DurationNs, byte[] Json);

/// <summary>Reads a journal: opened read-only, so it runs beside a recorder (WAL: neither waits for the other).</summary>
internal sealed class JournalReader : IDisposable
{
    private readonly SqliteConnection _db;

    private JournalReader(SqliteConnection db) => _db = db;

    /// <summary>Opens <paramref name="path"/>; a missing file or one that is not a journal is a <see cref="JournalException"/>.</summary>
    public static JournalReader Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new JournalException($"no journal at {full} (start one with 'sockpeer record --db {path}')");
        }
        SqliteConnection? db = null;
        try
        {
            db = JournalDatabase.Open(full, writable: false);
            int version = JournalSchema.VersionOf(db);
            if (version == 0 || version > JournalSchema.Version)
            {
                throw new JournalException(version == 0 ? $"{full} is not a sockpeer journal" : $"{full} has journal schema {version}, newer than this sockpeer's {JournalSchema.Version}");
            }
            return new JournalReader(db);
        }
        catch (SqliteException e)
        {
            db?.Dispose();
            throw new JournalException($"cannot read the journal {full}: {JournalDatabase.Explain(e)}", e);
        }
        catch
        {
            db?.Dispose();
            throw;
        }
    }

    /// <summary>The events of <paramref name="query"/>, oldest first.</summary>
    public IEnumerable<StoredEvent> Read(HistoryQuery query)
    {
        using var cmd = _db.CreateCommand();
        const string Columns = "SELECT time_ns, kind, path, client_command, client_user, client_container, client_uid, duration_ns, json, id FROM events";
        var window = new StringBuilder();
        if (query.Since is { } since)
        {
            window.Append(" AND time_ns >= $since");
            cmd.Parameters.AddWithValue("$since", EventRow.ToNs(since));
        }
        if (query.Until is { } until)
        {
            window.Append(" AND time_ns <= $until");
            cmd.Parameters.AddWithValue("$until", EventRow.ToNs(until));
        }
        var kinds = new StringBuilder();
        if (query.Kinds.Count > 0)
        {
            kinds.Append(" AND kind IN (");
            int i = 0;
            foreach (string k in query.Kinds)
            {
                kinds.Append(i > 0 ? ", " : "").Append("$k").Append(i);
                cmd.Parameters.AddWithValue("$k" + i++, k);
            }
            kinds.Append(')');
        }
        var sql = new StringBuilder(Columns);
        if (query.PathPrefix is { } prefix)
        {
            // The path's rows through the (path, time) index, and the warnings (which have no path and
            // always pass, as watch's filter lets them through) through their own small index.
            // One name: path = and the time range both on the (path, time) index. A prefix: the path range
            // on that index, the time tested on each row ('+' keeps SQLite from the time index, which
            // would read every event of the window of every path).
            if (query.PathIsExact)
            {
                sql.Append(" WHERE path = $p0").Append(window).Append(kinds);
            }
            else
            {
                sql.Append(" WHERE path >= $p0 AND path < $p1").Append(window.ToString().Replace("time_ns", "+time_ns", StringComparison.Ordinal)).Append(kinds);
                cmd.Parameters.AddWithValue("$p1", prefix + "\uffff");
            }
            cmd.Parameters.AddWithValue("$p0", prefix);
            if (query.Kinds.Count == 0 || query.Kinds.Contains("warning"))
            {
                sql.Append(" UNION ALL ").Append(Columns).Append(" WHERE kind = 'warning'").Append(window);
            }
        }
        else
        {
            sql.Append(" WHERE 1 = 1").Append(window).Append(kinds);
        }
        sql.Append(" ORDER BY time_ns, id");
        cmd.CommandText = sql.ToString();
        SqliteDataReader r;
        try
        {
            r = cmd.ExecuteReader();
        }
        catch (SqliteException e)
        {
            throw new JournalException($"cannot read the journal: {JournalDatabase.Explain(e)}", e);
        }
        using (r)
        {
            while (r.Read())
            {
                yield return new StoredEvent(r.GetInt64(0), r.GetString(1), Text(r, 2), Text(r, 3), Text(r, 4), Text(r, 5),
                    r.IsDBNull(6) ? null : (uint)r.GetInt64(6), r.IsDBNull(7) ? null : r.GetInt64(7), Encoding.UTF8.GetBytes(r.GetString(8)));
            }
        }
    }

    private static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public void Dispose() => _db.Dispose();
}
