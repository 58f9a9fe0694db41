using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Otlp;
using Xunit;

namespace SockPeer.Tests.Journal;

/// <summary>
/// `record --otlp-endpoint`: every event the journal stores also reaches an OpenTelemetry collector as a
/// log record (decoded here by the test receiver from the OTLP protobuf), with the sockets the test's own
/// processes made.
/// </summary>
public sealed class RecordOtlpTests
{
    [Fact]
    public void Every_recorded_event_is_also_a_log_record_at_the_collector_with_the_sockets_the_processes_made()
    {
        using var receiver = OtlpReceiver.Start();
        using var server = new SocketDriver();
        using var client = new SocketDriver(server.Dir);
        string db = Path.Combine(server.Dir, "journal.db");
        var listener = server.Listen();
        uint c1, c2;
        string stderr;
        using (var rec = new Recording(db, "--source", "poll", "--interval", "100ms", "--path", server.Dir + "/*", "--otlp-endpoint", receiver.BaseUrl.ToString()))
        {
            c1 = client.Connect(variable: "c1").Inode;
            server.Accept(variable: "a1");
            c2 = client.Connect(variable: "c2").Inode; // left waiting in the accept queue
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!JournalCliTests.History(db).Any(l => l.Contains($"\"inode\":{c2}", StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < until, "the journal never had the waiting client");
                Thread.Sleep(100);
            }
            int code;
            (code, stderr) = rec.Stop();
            Assert.True(code == 0, stderr);
        }
        Assert.Contains("exported", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(" lost ", stderr, StringComparison.Ordinal);

        var stored = JournalCliTests.History(db);
        var records = receiver.LogRecords;
        // One record per stored event, in order, each the event's kind with its socket.
        Assert.Equal(stored.Count, records.Count);
        for (int i = 0; i < stored.Count; i++)
        {
            using var doc = JsonDocument.Parse(stored[i]);
            var e = doc.RootElement;
            Assert.Equal(e.GetProperty("event").GetString(), records[i].Body);
            if (e.TryGetProperty("socket", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                Assert.Equal(s.GetProperty("inode").GetUInt32(), Convert.ToUInt32(records[i].Attributes["socket.inode"], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        // What the processes did: the accepted client, the waiting one, and the listener they reached.
        Assert.Contains(records, r => r.Body is "connect" or "accept" && Inode(r, "socket.inode") == c1 && Inode(r, "listener.inode") == listener.Inode);
        Assert.Contains(records, r => r.Body == "pending" && Inode(r, "socket.inode") == c2 && Inode(r, "listener.inode") == listener.Inode);
        Assert.All(records.Where(r => Inode(r, "socket.inode") == c1), r => Assert.Contains(client.Pid, Pids(r)));
    }

    /// <summary>
    /// A collector that refuses every connection (a loopback port nothing listens on): the journal keeps
    /// every event, the export's failure is a warning line, the final count says how many were lost, and
    /// record still stops with status 0 (the journal lost nothing).
    /// </summary>
    [Fact]
    public void A_collector_that_refuses_is_a_warning_and_a_lost_count_and_the_journal_keeps_every_event()
    {
        int closedPort;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var server = new SocketDriver();
        string db = Path.Combine(server.Dir, "journal.db");
        string stderr;
        using (var rec = new Recording(db, "--source", "poll", "--interval", "100ms", "--path", server.Dir + "/*", "--otlp-endpoint", $"http://127.0.0.1:{closedPort}"))
        {
            var listener = server.Listen();
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!JournalCliTests.History(db).Any(l => l.Contains($"\"inode\":{listener.Inode}", StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < until, "the journal never had the listener");
                Thread.Sleep(100);
            }
            int code;
            (code, stderr) = rec.Stop();
            Assert.True(code == 0, stderr);
        }
        int stored = JournalCliTests.History(db).Count;
        Assert.True(stored > 0);
        Assert.Contains($"sockpeer: warning: OTLP export of", stderr, StringComparison.Ordinal);
        var counts = System.Text.RegularExpressions.Regex.Match(stderr, @"sockpeer: exported (\d+) event\(s\) to \S+; (\d+) lost");
        Assert.True(counts.Success, stderr);
        Assert.Equal("0", counts.Groups[1].Value);
        Assert.Equal(stored, int.Parse(counts.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static uint? Inode(ReceivedLog r, string key)
        => r.Attributes.TryGetValue(key, out var v) && v is not null ? Convert.ToUInt32(v, System.Globalization.CultureInfo.InvariantCulture) : null;

    private static List<int> Pids(ReceivedLog r)
        => [.. r.Attributes.Where(a => a.Key.StartsWith("processes.", StringComparison.Ordinal) && a.Key.EndsWith(".pid", StringComparison.Ordinal))
            .Select(a => Convert.ToInt32(a.Value, System.Globalization.CultureInfo.InvariantCulture))];
}
