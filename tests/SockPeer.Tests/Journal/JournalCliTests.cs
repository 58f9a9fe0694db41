using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Journal;

/// <summary>
/// `sockpeer record` and `history` on the real kernel with the polling source (no privilege needed):
/// sockets made by separate python processes (<see cref="SocketDriver"/>), recorded into a journal in the
/// test's own directory, read back through the published binary while the recorder runs and after;
/// the database itself checked with Debian's sqlite3.
/// </summary>
public sealed class JournalCliTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static string[] Record(SocketDriver d, params string[] extra) => ["--source", "poll", "--interval", "100ms", "--path", d.Dir + "/*", .. extra];

    /// <summary>`history --json`, each line checked against the watchEvent definition of the schema.</summary>
    internal static List<string> History(string db, params string[] args)
    {
        var r = SockpeerCli.Run(["history", "--db", db, "--json", .. args]);
        Assert.True(r.ExitCode == 0, $"history exited {r.ExitCode}: {r.Stderr}");
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var l in lines)
        {
            SchemaAssert.Valid(l, "watchEvent");
        }
        return lines;
    }

    private static List<string> WaitForHistory(string db, string what, Func<List<string>, bool> done, params string[] args)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            var lines = History(db, args);
            if (done(lines))
            {
                return lines;
            }
            Assert.True(DateTime.UtcNow < until, $"the journal never had {what}: {string.Join('\n', lines)}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Records while <paramref name="server"/> starts listening, until history has the listen line; the listener's inode.</summary>
    private static uint RecordOneListener(SocketDriver server, string db)
    {
        using var rec = new Recording(db, Record(server));
        uint listener = server.Listen().Inode;
        WaitForHistory(db, "the listener", lines => lines.Any(l => Has(l, "listen", listener)));
        rec.Stop();
        return listener;
    }

    private static bool Has(string line, string kind, uint inode)
    {
        using var doc = JsonDocument.Parse(line);
        var e = doc.RootElement;
        return e.GetProperty("event").GetString() == kind && e.GetProperty("socket").ValueKind == JsonValueKind.Object
            && e.GetProperty("socket").GetProperty("inode").GetUInt32() == inode;
    }

    private static string? Code(string line)
    {
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
    }

    private static string Sqlite(string db, string sql)
    {
        var r = ChildProcess.Run("sqlite3", [db, sql], TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, $"sqlite3 {sql}: {r.Stderr}");
        return r.Stdout.Trim();
    }

    /// <summary>
    /// A recorder killed with SIGKILL: every event a reader saw committed before the kill is still there,
    /// byte for byte; the database passes integrity_check; a restarted recorder appends; the gap is a
    /// warning event naming the killed recorder. While it ran, a second recorder was refused in one line
    /// and readers read beside it.
    /// </summary>
    [Fact]
    public void A_killed_recorder_loses_nothing_committed_and_its_restart_records_the_gap()
    {
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        string db = Path.Combine(server.Dir, "journal.db");
        server.Listen();
        List<string> before;
        int killed;
        using (var rec = new Recording(db, Record(server)))
        {
            killed = rec.Pid;
            uint c1 = client.Connect(variable: "c1").Inode;
            server.Accept(variable: "a1");
            before = WaitForHistory(db, "the first connection", lines => lines.Any(l => Has(l, "accept", c1) || Has(l, "connect", c1)));

            var second = SockpeerCli.Run("record", "--db", db, "--source", "poll");
            Assert.Equal(1, second.ExitCode);
            var said = second.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(said.Length == 1 && said[0].StartsWith("sockpeer: another recorder is writing to", StringComparison.Ordinal) && said[0].Contains($"(pid {killed})", StringComparison.Ordinal),
                second.Stderr);
            rec.KillHard();
        }
        Assert.Equal("ok", Sqlite(db, "PRAGMA integrity_check"));
        client.Connect(variable: "c2"); // while nobody records
        uint c3;
        using (var rec = new Recording(db, Record(server)))
        {
            c3 = client.Connect(variable: "c3").Inode;
            WaitForHistory(db, "the connection after the restart", lines => lines.Any(l => Has(l, "connect", c3) || Has(l, "pending", c3)));
            var (code, stderr) = rec.Stop();
            Assert.True(code == 0, stderr);
        }
        var after = History(db);
        foreach (var line in before)
        {
            Assert.Contains(line, after);
        }
        var gap = Assert.Single(after, l => Code(l) == "journal_gap");
        Assert.Contains($"(pid {killed}) stopped without a clean stop", gap, StringComparison.Ordinal);
        Assert.Matches(@"nothing was recorded from \d{4}-\d\d-\d\dT[\d:.]+Z to \d{4}-\d\d-\d\dT[\d:.]+Z", gap);
        Assert.Equal("ok", Sqlite(db, "PRAGMA integrity_check"));
        Assert.Equal("2", Sqlite(db, "SELECT count(*) FROM sessions"));
        Assert.Equal("0|1", Sqlite(db, "SELECT group_concat(clean, '|') FROM (SELECT clean FROM sessions ORDER BY id)"));
    }

    /// <summary>--retention: events older than it go, and a warning event says how many.</summary>
    [Fact]
    public void Retention_removes_old_events_and_says_so()
    {
        using var server = new SocketDriver();
        string db = Path.Combine(server.Dir, "journal.db");
        uint old = RecordOneListener(server, db);
        Thread.Sleep(1500);
        using (var rec = new Recording(db, Record(server, "--retention", "1s")))
        {
            var lines = WaitForHistory(db, "a prune warning", lines => lines.Any(l => Code(l) == "journal_pruned"), "--event", "warning");
            Assert.Contains("older than 1s (--retention)", lines.First(l => Code(l) == "journal_pruned"), StringComparison.Ordinal);
            rec.Stop();
        }
        Assert.DoesNotContain(History(db), l => Has(l, "listen", old));
    }

    /// <summary>
    /// The journal keeps the compact line (null, false and empty fields left out: half the bytes), and
    /// history prints the full watch line: every field of the schema, the stored ones unchanged.
    /// </summary>
    [Fact]
    public void The_journal_stores_the_compact_line_and_history_prints_the_full_one()
    {
        using var server = new SocketDriver();
        string db = Path.Combine(server.Dir, "journal.db");
        uint listener = RecordOneListener(server, db);
        string stored = Sqlite(db, $"SELECT json FROM events WHERE kind = 'listen' AND json LIKE '%\"inode\":{listener},%'");
        using (var compact = JsonDocument.Parse(stored))
        {
            var socket = compact.RootElement.GetProperty("socket");
            // A listener alone: no one waiting (an empty list), not in flight (false), no pendingOn (null).
            Assert.False(socket.TryGetProperty("pending", out _), stored);
            Assert.False(socket.TryGetProperty("inFlight", out _), stored);
            Assert.False(socket.TryGetProperty("pendingOn", out _), stored);
        }
        Assert.Equal("2", Sqlite(db, "SELECT max(version) FROM schema_version"));
        string full = History(db, "--event", "listen").Single(l => Has(l, "listen", listener)); // valid against the schema's watchEvent
        Assert.Contains("\"pendingOn\":null", full, StringComparison.Ordinal);
        Assert.Contains("\"pending\":[]", full, StringComparison.Ordinal);
        Assert.Contains("\"inFlight\":false", full, StringComparison.Ordinal);
        Assert.True(stored.Length < full.Length, $"stored {stored.Length} bytes, printed {full.Length}"); // this line is mostly the driver's command line
        // Every field stored is printed with the same value (objects: field by field).
        using var s = JsonDocument.Parse(stored);
        using var f = JsonDocument.Parse(full);
        SameWherever(s.RootElement, f.RootElement, "");
    }

    private static void SameWherever(JsonElement stored, JsonElement full, string path)
    {
        if (stored.ValueKind == JsonValueKind.Array)
        {
            Assert.Equal(stored.GetArrayLength(), full.GetArrayLength());
            for (int i = 0; i < stored.GetArrayLength(); i++)
            {
                SameWherever(stored[i], full[i], $"{path}[{i}]");
            }
            return;
        }
        if (stored.ValueKind != JsonValueKind.Object)
        {
            Assert.True(stored.GetRawText() == full.GetRawText(), $"{path}: stored {stored.GetRawText()}, printed {full.GetRawText()}");
            return;
        }
        foreach (var p in stored.EnumerateObject())
        {
            Assert.True(full.TryGetProperty(p.Name, out var printed), $"{path}.{p.Name} stored, not printed");
            SameWherever(p.Value, printed, path + "." + p.Name);
        }
    }

    /// <summary>--max-size: the oldest events go until the file is under the limit, and a warning says so; the newest stay.</summary>
    [Fact]
    public void Max_size_removes_the_oldest_events_and_keeps_the_file_under_the_limit()
    {
        using var server = new SocketDriver();
        string db = Path.Combine(server.Dir, "journal.db");
        uint newest = RecordOneListener(server, db);
        // 6,000 older copies of that line (about 9 MB), written with SQL.
        Sqlite(db, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
            INSERT INTO events (time_ns, kind, path, source, json)
            SELECT (SELECT min(time_ns) FROM events) - i * 1000000, 'listen', path, source, json FROM n, (SELECT path, source, json FROM events WHERE kind = 'listen' LIMIT 1);
            PRAGMA wal_checkpoint(TRUNCATE);
            """);
        Assert.True(new FileInfo(db).Length > 4 << 20, $"{new FileInfo(db).Length} bytes");
        using (var rec = new Recording(db, Record(server, "--max-size", "1M")))
        {
            var lines = WaitForHistory(db, "a prune warning", lines => lines.Any(l => Code(l) == "journal_pruned"), "--event", "warning");
            Assert.Contains("(--max-size)", lines.First(l => Code(l) == "journal_pruned"), StringComparison.Ordinal);
            rec.Stop();
        }
        Assert.True(new FileInfo(db).Length <= 1 << 20, $"{new FileInfo(db).Length} bytes, over --max-size 1M");
        var after = History(db, "--event", "listen");
        Assert.True(after.Count < 1000, $"{after.Count} listen lines left");
        Assert.Contains(after, l => Has(l, "listen", newest));
        Assert.Equal("ok", Sqlite(db, "PRAGMA integrity_check"));
    }

    /// <summary>Bad times, kinds, sizes and a missing journal: one `sockpeer:` line each, exit 2 (usage) or 1.</summary>
    [Theory]
    [InlineData(2, "history", "--since", "yesterday-ish")]
    [InlineData(2, "history", "--until", "25:99")]
    [InlineData(2, "history", "--since", "-5x")]
    [InlineData(2, "history", "--since", "-1h", "--until", "-2h")]
    [InlineData(2, "history", "--event", "connect,bogus")]
    [InlineData(2, "record", "--retention", "forever")]
    [InlineData(2, "record", "--max-size", "12")]
    [InlineData(1, "history", "--db", "/nonexistent/sockpeer/journal.db")]
    public void Bad_arguments_are_one_line_and_an_exit_code(int code, params string[] args)
    {
        string[] withDb = args.Contains("--db") ? args : [.. args, "--db", "/nonexistent/sockpeer/none.db"];
        var r = SockpeerCli.Run(withDb);
        Assert.Equal(code, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("sockpeer: ", StringComparison.Ordinal), r.Stderr);
        Assert.Equal("", r.Stdout);
    }
}
