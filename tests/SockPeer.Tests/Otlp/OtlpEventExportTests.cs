using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SockPeer.Events;
using SockPeer.Inventory;
using SockPeer.Otlp;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Otlp;

/// <summary>
/// The event log export (src/SockPeer.Otlp): events from the engine's polling source about sockets
/// that a scene's separate processes made, exported to the test receiver, decoded there, and every
/// record's attributes compared with what those processes did (pids, fds, inodes, path).
/// </summary>
public sealed class OtlpEventExportTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void Each_event_is_one_log_record_whose_attributes_are_what_the_scenes_processes_did()
    {
        using var receiver = OtlpReceiver.Start();
        using var poller = new SnapshotPoller(new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }), Interval);
        poller.Start(CancellationToken.None);
        var scene = SocketScene.Build()
            .Named("sp-otlp-server")
            .Listen("svc", backlog: 8)
            .Connect("svc", heldBy: Holder.Child, comm: "sp-otlp-a")
            .Connect("svc", heldBy: Holder.Child, comm: "sp-otlp-b")
            .Accept("svc", 2)
            .Connect("svc")
            .Start();
        // Ground truth: the scene's own log of what its processes made.
        var listener = scene.Socket("svc");
        var accepted = scene.Connections("svc").Where(c => c.Accepted is not null).ToList();
        var waiting = Assert.Single(scene.Pending("svc"));
        Assert.Equal(2, accepted.Count);
        var clients = accepted.Select(c => c.Client).Append(waiting).ToList();
        var mine = clients.Select(c => c.Inode).Append(listener.Inode).ToHashSet();

        var events = new List<SocketEvent>();
        Collect(poller, mine, events, () =>
            events.Any(e => e.Kind == SocketEventKind.Listen && e.Socket!.Inode == listener.Inode)
            && accepted.All(c => events.Any(e => e.Kind == SocketEventKind.Connect && e.Socket!.Inode == c.Client.Inode))
            && events.Any(e => e.Kind == SocketEventKind.Pending && e.Socket!.Inode == waiting.Inode));
        scene.Dispose(); // its processes exit: the clients close, the listener goes
        Collect(poller, mine, events, () =>
            clients.All(c => events.Any(e => e.Kind == SocketEventKind.Close && e.Socket!.Inode == c.Inode))
            && events.Any(e => e.Kind == SocketEventKind.Unlisten && e.Socket!.Inode == listener.Inode));

        var failures = new List<OtlpExportFailure>();
        using (var exporter = new OtlpEventExporter(new OtlpEventExportOptions { Endpoint = receiver.BaseUrl, ExportInterval = Interval, ExportFailed = failures.Add }))
        {
            Assert.All(events, e => Assert.True(exporter.Export(e)));
            Assert.True(exporter.Flush(TimeSpan.FromSeconds(20)), $"not flushed: {exporter.Counts}");
            Assert.Equal(new OtlpExportCounts(events.Count, 0, events.Count, 0), exporter.Counts);
        }
        Assert.Empty(failures);
        Assert.Empty(receiver.Rejected);

        var records = receiver.LogRecords;
        Assert.Equal(events.Count, records.Count);
        for (int i = 0; i < events.Count; i++)
        {
            // One record per event, in order; the record is the event's JSON line, flattened.
            var (e, r) = (events[i], records[i]);
            Assert.Equal(e.Kind.ToText(), r.Body);
            Assert.Equal(e.Time, r.Time);
            Assert.Equal(OpenTelemetry.Proto.Logs.V1.SeverityNumber.Info, r.Record.SeverityNumber);
            Assert.Equal(("sockpeer", Environment.MachineName, OtlpEventExporter.Category), (r.Resource["service.name"], r.Resource["host.name"], r.Scope));
            Assert.Equal((e.Kind.ToText(), "poll", 1L), (r.Attributes["event"], r.Attributes["source"], r.Attributes["schema"]));
            Assert.Equal(e.Socket!.Inode, Convert.ToUInt32(r.Attributes["socket.inode"]));
        }

        // Against the scene: each connection's record names both ends and the listener, their holders and programs.
        foreach (var c in accepted)
        {
            var connect = Single(records, "connect", c.Client.Inode);
            Assert.Equal((long)c.Accepted!.Inode, connect.Attributes["peer.inode"]);
            Assert.Equal((long)listener.Inode, connect.Attributes["listener.inode"]);
            Assert.Equal(listener.Path, connect.Attributes["listener.name"]);
            Assert.Equal(listener.Path, connect.Attributes["peer.name"]); // an accepted socket carries its listener's name
            Assert.Equal(((long)c.Client.Pid, (long)c.Client.Fd), (connect.Attributes["socket.holders.0.pid"], connect.Attributes["socket.holders.0.fd"]));
            Assert.Equal(((long)c.Accepted.Pid, (long)c.Accepted.Fd), (connect.Attributes["peer.holders.0.pid"], connect.Attributes["peer.holders.0.fd"]));
            Assert.Equal("client", connect.Attributes["socket.role"]);
            var pids = Indexed(connect, "processes", "pid");
            Assert.Contains((long)c.Client.Pid, pids);
            Assert.Contains((long)listener.Pid, pids);
            var close = Single(records, "close", c.Client.Inode);
            Assert.True(Convert.ToDouble(close.Attributes["observedFor"]) > 0);
        }
        var pending = Single(records, "pending", waiting.Inode);
        Assert.Equal((long)listener.Inode, pending.Attributes["listener.inode"]);
        Assert.Equal((long)listener.Inode, pending.Attributes["socket.pendingOn"]);
        Assert.Equal(((long)waiting.Pid, (long)waiting.Fd), (pending.Attributes["socket.holders.0.pid"], pending.Attributes["socket.holders.0.fd"]));
        Assert.False(pending.Attributes.ContainsKey("peer.inode")); // no other end yet: null in JSON, absent here
        var listen = Single(records, "listen", listener.Inode);
        Assert.Equal(listener.Path, listen.Attributes["socket.name"]);
        Assert.Equal(8L, listen.Attributes["socket.backlog"]);
        Assert.Contains(waiting.Inode, ((object?[])pending.Attributes.GetValueOrDefault("socket.pending", Array.Empty<object?>())!).Select(Convert.ToUInt32).Append(waiting.Inode));
        Assert.Equal(((long)listener.Pid, (long)listener.Fd), (listen.Attributes["socket.holders.0.pid"], listen.Attributes["socket.holders.0.fd"]));
        Assert.Single(records, r => r.Body == "unlisten" && Convert.ToUInt32(r.Attributes["socket.inode"]) == listener.Inode);

        // Nothing lost or changed on the way: each record holds exactly its event's flattened JSON fields.
        for (int i = 0; i < events.Count; i++)
        {
            var expected = EventAttributes.Of(events[i]).ToDictionary(a => a.Key, a => a.Value is Array arr ? arr.Cast<object?>().Select(Convert.ToString).ToArray() : (object?)Convert.ToString(a.Value, System.Globalization.CultureInfo.InvariantCulture));
            var got = records[i].Attributes.ToDictionary(a => a.Key, a => a.Value is object?[] arr ? arr.Select(Convert.ToString).ToArray() : (object?)Convert.ToString(a.Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(expected.Keys.Order(), got.Keys.Order());
            Assert.All(expected, kv => Assert.Equal(kv.Value, got[kv.Key]));
        }
    }

    [Fact]
    public void A_refused_export_is_counted_and_reported_and_warnings_are_warn()
    {
        using var receiver = OtlpReceiver.Start();
        receiver.Answer = HttpStatusCode.BadRequest; // not retryable: the batch is lost at once
        var failures = new List<OtlpExportFailure>();
        var events = Enumerable.Range(0, 10).Select(i => new SocketEvent(SocketEventKind.Warning, DateTimeOffset.UtcNow) { Message = $"test {i}", Code = "test" }).ToList();
        OtlpExportCounts counts;
        using (var exporter = new OtlpEventExporter(new OtlpEventExportOptions { Endpoint = receiver.BaseUrl, ExportInterval = Interval, ExportFailed = failures.Add }))
        {
            events.ForEach(e => exporter.Export(e));
            Assert.True(exporter.Flush(TimeSpan.FromSeconds(20)));
            counts = exporter.Counts;
        }
        Assert.Equal(new OtlpExportCounts(10, 0, 0, 10), counts);
        Assert.Equal(10, failures.Sum(f => f.Records));
        Assert.Equal(10, counts.Lost);
        // The receiver did decode them: warnings are WARN, their message and code attributes.
        var records = receiver.LogRecords;
        Assert.Equal(10, records.Count);
        Assert.All(records, r => Assert.Equal((OpenTelemetry.Proto.Logs.V1.SeverityNumber.Warn, "warning", "test"), (r.Record.SeverityNumber, r.Body, r.Attributes["code"])));
        Assert.Equal(events.Select(e => e.Message), records.Select(r => r.Attributes["message"]));
    }

    [Fact]
    public void A_collector_that_does_not_answer_fills_the_queue_and_every_event_is_counted_lost()
    {
        // Accepts connections (the kernel does, into the backlog) and never answers.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
        var clock = Stopwatch.StartNew();
        var failures = new List<OtlpExportFailure>();
        var exporter = new OtlpEventExporter(new OtlpEventExportOptions
        {
            Endpoint = endpoint, QueueCapacity = 2, MaxBatchSize = 1, ExportInterval = TimeSpan.FromMilliseconds(10),
            ExportTimeout = TimeSpan.FromSeconds(1), ExportFailed = failures.Add,
        });
        int taken;
        try
        {
            taken = Enumerable.Range(0, 200).Count(i => exporter.Export(new SocketEvent(SocketEventKind.Warning, DateTimeOffset.UtcNow) { Message = $"{i}", Code = "test" }));
            Assert.InRange(taken, 2, 20); // the queue (2), one in hand and the SDK's room (4 batches of 1), not more
            Assert.Equal(200 - taken, exporter.Counts.Dropped);
        }
        finally
        {
            exporter.Dispose();
        }
        // Every event is accounted for: dropped at the queue, or failed (timed out, or still unsent when stopped).
        var counts = exporter.Counts;
        Assert.Equal(new OtlpExportCounts(taken, 200 - taken, 0, taken), counts);
        Assert.Equal(200, counts.Lost);
        Assert.Equal(taken, failures.Sum(f => f.Records));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    private static ReceivedLog Single(IEnumerable<ReceivedLog> records, string kind, uint inode)
        => Assert.Single(records, r => r.Body == kind && Convert.ToUInt32(r.Attributes["socket.inode"]) == inode);

    /// <summary>The values of <c>{array}.N.{field}</c> for every N.</summary>
    private static List<object?> Indexed(ReceivedLog r, string array, string field)
        => [.. r.Attributes.Where(a => a.Key.StartsWith(array + ".", StringComparison.Ordinal) && a.Key.EndsWith("." + field, StringComparison.Ordinal) && a.Key.Count(ch => ch == '.') == 2).Select(a => a.Value)];

    /// <summary>Events about <paramref name="inodes"/> until <paramref name="done"/>, at most 30 s.</summary>
    private static void Collect(SnapshotPoller poller, HashSet<uint> inodes, List<SocketEvent> into, Func<bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"not seen within 30 s; saw {string.Join(", ", into.Select(e => $"{e.Kind.ToText()} #{e.Socket?.Inode}"))}");
            into.AddRange(poller.Next(CancellationToken.None).Where(e => e.Socket is { } s && inodes.Contains(s.Inode)));
        }
    }
}
