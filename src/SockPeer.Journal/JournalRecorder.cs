using System.Buffers;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SockPeer.Events;
using SockPeer.Model;

namespace SockPeer.Journal;

/// <summary>What <c>--retention</c> and <c>--max-size</c> ask for; null: no limit.</summary>
internal sealed record JournalLimits(TimeSpan? Retention, long? MaxBytes)
{
    public static readonly JournalLimits None = new(null, null);
}

/// <summary>What one <see cref="JournalRecorder.Append"/> did: events stored, and when a write failed, the sentence to warn with.</summary>
internal readonly record struct AppendResult(int Stored, int Failed, string? Failure);

/// <summary>
/// The one writer of a journal: holds its lock (<c>FILE.lock</c>, flock: a second recorder is refused,
/// a SIGKILL releases it), opens or creates the database (WAL, schema migrated), opens a session, and
/// appends each batch of events in one transaction. A previous session that never stopped cleanly
/// (killed, crashed, power lost) becomes a warning event with the span nothing was recorded; a write
/// that fails (disk full, database locked) is counted and, once writing works again, stored as a
/// warning event too; pruning by age or size stores one saying what went.
/// </summary>
internal sealed class JournalRecorder : IDisposable
{
    public const string RecordSource = "record";
    private static readonly TimeSpan PruneEvery = TimeSpan.FromSeconds(5);

    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _lock;
    private readonly SqliteConnection _db;
    private readonly EventInsert _insert;
    private readonly SqliteCommand _commit;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly SocketNameText _names = new();
    private readonly JournalLimits _limits;
    private readonly long _session;
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;
    private int _failed;
    private DateTimeOffset? _failedSince;
    private string? _failure;

    public string Path { get; }

    /// <summary>Events stored since the start, warnings of the journal's own included.</summary>
    public long Stored { get; private set; }

    /// <summary>Events that could not be stored (each was warned about).</summary>
    public long Lost { get; private set; }

    private JournalRecorder(string path, Microsoft.Win32.SafeHandles.SafeFileHandle lockFile, SqliteConnection db, JournalLimits limits, long session)
    {
        Path = path;
        _lock = lockFile;
        _db = db;
        _limits = limits;
        _session = session;
        _insert = new EventInsert(db);
        _commit = db.CreateCommand();
        _commit.CommandText = "UPDATE sessions SET last_commit_ns = $now WHERE id = $id";
        _commit.Parameters.AddWithValue("$id", session);
        _commit.Parameters.Add(new SqliteParameter("$now", null));
    }

    /// <summary>
    /// Locks, opens (creating the file and its directory when needed) and starts a session. The warnings
    /// it stored on opening (a previous recorder's gap) are returned for the caller to show.
    /// </summary>
    public static JournalRecorder Open(string path, string source, JournalLimits limits, out IReadOnlyList<SocketEvent> opened)
    {
        string full = System.IO.Path.GetFullPath(path);
        Microsoft.Win32.SafeHandles.SafeFileHandle? lockFile = null;
        SqliteConnection? db = null;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            lockFile = Interop.Flock.TryLock(full + ".lock", out string holder)
                ?? throw new JournalException($"another recorder is writing to {full}" + (holder.Length > 0 ? $" (pid {holder})" : ""));
            Interop.Flock.Write(lockFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");

            db = JournalDatabase.Open(full, writable: true);
            JournalSchema.Migrate(db, full);
            var now = DateTimeOffset.UtcNow;
            var gaps = CloseUncleanSessions(db, now);
            long session;
            using (var cmd = db.CreateCommand())
            {
                cmd.CommandText = "INSERT INTO sessions (pid, source, started_ns, last_commit_ns) VALUES ($pid, $src, $now, $now); SELECT last_insert_rowid();";
                cmd.Parameters.AddWithValue("$pid", Environment.ProcessId);
                cmd.Parameters.AddWithValue("$src", source);
                cmd.Parameters.AddWithValue("$now", EventRow.ToNs(now));
                session = (long)cmd.ExecuteScalar()!;
            }
            var recorder = new JournalRecorder(full, lockFile, db, limits, session);
            var result = recorder.Append(gaps);
            if (result.Failure is { } failure)
            {
                throw new JournalException(failure);
            }
            opened = gaps;
            return recorder;
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            db?.Dispose();
            lockFile?.Dispose();
            throw new JournalException($"cannot open the journal {full}: {JournalDatabase.Explain(e)}", e);
        }
        catch
        {
            db?.Dispose();
            lockFile?.Dispose();
            throw;
        }
    }

    /// <summary>Sessions that never stopped cleanly: each becomes a warning with the span nothing was recorded, and is closed.</summary>
    private static List<SocketEvent> CloseUncleanSessions(SqliteConnection db, DateTimeOffset now)
    {
        var gaps = new List<SocketEvent>();
        var closed = new List<long>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = "SELECT id, pid, last_commit_ns FROM sessions WHERE stopped_ns IS NULL ORDER BY id";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var last = EventRow.FromNs(r.GetInt64(2));
                var span = now - last;
                closed.Add(r.GetInt64(0));
                gaps.Add(new SocketEvent(SocketEventKind.Warning, now)
                {
                    Code = "journal_gap",
                    Source = RecordSource,
                    ObservedFor = span,
                    Message = $"the recorder (pid {r.GetInt64(1)}) stopped without a clean stop: nothing was recorded from {Stamp(last)} to {Stamp(now)} ({Span(span)})",
                });
            }
        }
        foreach (long id in closed)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE sessions SET stopped_ns = last_commit_ns, clean = 0 WHERE id = $id";
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
        }
        return gaps;
    }

    /// <summary>
    /// Stores <paramref name="events"/> in one transaction (with, first, a warning for events an earlier
    /// write lost). A failed write stores nothing, counts the events, and says why.
    /// </summary>
    public AppendResult Append(IReadOnlyList<SocketEvent> events)
    {
        if (events.Count == 0 && _failed == 0)
        {
            return new AppendResult(0, 0, null);
        }
        var now = DateTimeOffset.UtcNow;
        var batch = new List<SocketEvent>(events.Count + 1);
        if (_failed > 0)
        {
            batch.Add(new SocketEvent(SocketEventKind.Warning, now)
            {
                Code = "journal_write_failed",
                Source = RecordSource,
                ObservedFor = now - _failedSince!.Value,
                Message = $"{_failed} event(s) from {Stamp(_failedSince.Value)} to {Stamp(now)} could not be stored: {_failure}",
            });
        }
        batch.AddRange(events);
        try
        {
            using var tx = _db.BeginTransaction();
            foreach (var e in batch)
            {
                _insert.Run(EventRow.From(e, _buffer, _names), _session);
            }
            _commit.Transaction = tx;
            _commit.Parameters["$now"].Value = EventRow.ToNs(now);
            _commit.ExecuteNonQuery();
            tx.Commit();
        }
        catch (SqliteException e)
        {
            _failedSince ??= events.Count > 0 ? events[0].Time : now;
            _failed += events.Count;
            _failure = JournalDatabase.Explain(e);
            Lost += events.Count;
            return new AppendResult(0, events.Count, $"{events.Count} event(s) not stored in {Path}: {_failure}");
        }
        Stored += batch.Count;
        _failed = 0;
        _failedSince = null;
        return new AppendResult(batch.Count, 0, null);
    }

    /// <summary>
    /// Every few seconds: removes events older than the retention, then the oldest until the database
    /// is under 80 % of the size limit, and stores a warning saying what went. Returns that warning.
    /// </summary>
    public SocketEvent? PruneIfDue(DateTimeOffset now, bool force = false)
    {
        if (_limits == JournalLimits.None || (!force && now - _lastPrune < PruneEvery))
        {
            return null;
        }
        _lastPrune = now;
        long byAge = 0, bySize = 0;
        try
        {
            if (_limits.Retention is TimeSpan keep)
            {
                using var cmd = _db.CreateCommand();
                cmd.CommandText = "DELETE FROM events WHERE time_ns < $cut";
                cmd.Parameters.AddWithValue("$cut", EventRow.ToNs(now - keep));
                byAge = cmd.ExecuteNonQuery();
            }
            if (byAge > 0)
            {
                GiveSpaceBack();
            }
            // Rows are removed in proportion to the excess, but a page is freed only when all its rows
            // are gone (a 64 KiB page holds dozens): measure again, a few rounds at most.
            for (int round = 0; round < 4 && _limits.MaxBytes is long max && JournalDatabase.UsedBytes(_db) is var used && used > max; round++)
            {
                using var cmd = _db.CreateCommand();
                cmd.CommandText = "SELECT count(*) FROM events";
                long count = (long)cmd.ExecuteScalar()!;
                if (count == 0)
                {
                    break;
                }
                long n = Math.Max(1, (long)Math.Ceiling(count * (1 - 0.8 * max / used)));
                cmd.CommandText = "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY time_ns LIMIT $n)";
                cmd.Parameters.AddWithValue("$n", n);
                bySize += cmd.ExecuteNonQuery();
                GiveSpaceBack();
            }
            if (byAge + bySize == 0)
            {
                return null;
            }
        }
        catch (SqliteException e)
        {
            return Warn("journal_prune_failed", $"pruning {Path} failed: {JournalDatabase.Explain(e)}");
        }
        string what = (byAge > 0 ? $"{byAge} event(s) older than {Span(_limits.Retention!.Value)} (--retention)" : "")
            + (byAge > 0 && bySize > 0 ? " and " : "")
            + (bySize > 0 ? $"the {bySize} oldest event(s) to keep the journal under {_limits.MaxBytes} bytes (--max-size)" : "");
        return Warn("journal_pruned", $"removed {what}");

        SocketEvent Warn(string code, string message)
        {
            var e = new SocketEvent(SocketEventKind.Warning, now) { Code = code, Source = RecordSource, Message = message };
            Append([e]);
            return e;
        }
    }

    /// <summary>Frees the pages deletions emptied and truncates the WAL, so the file shrinks.</summary>
    private void GiveSpaceBack()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);";
        cmd.ExecuteNonQuery();
    }

    /// <summary>A clean stop: the session is marked stopped, so the next recorder reports no gap.</summary>
    public void Stop()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "UPDATE sessions SET stopped_ns = $now, last_commit_ns = max(last_commit_ns, $now), clean = 1 WHERE id = $id";
        cmd.Parameters.AddWithValue("$now", EventRow.ToNs(DateTimeOffset.UtcNow));
        cmd.Parameters.AddWithValue("$id", _session);
        cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _insert.Dispose();
        _commit.Dispose();
        _db.Dispose();
        _lock.Dispose();
    }

    internal static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static string Span(TimeSpan t) => t.TotalSeconds < 60 ? t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
        : t.TotalHours < 1 ? t.ToString(@"m\:ss", CultureInfo.InvariantCulture)
        : t.TotalDays < 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : t.TotalDays.ToString("0.#", CultureInfo.InvariantCulture) + "d";
}
