using System.Diagnostics.Metrics;
using System.Text;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Serve.Filters;
using SockPeer.Serve.Metrics;
using SockPeer.Serve.Snapshots;
using Xunit;

namespace SockPeer.Tests.Serve;

/// <summary>The server's pure parts: single-flight snapshots, the exposition writer, content negotiation.</summary>
public sealed class ServeUnitTests
{
    private static SocketInventory Inventory(params UnixSocket[] sockets) => new(sockets, [
        new ProcessInfo { Pid = 10, Command = "srv" },
        new ProcessInfo { Pid = 11, Command = "cli\"ent\\x\n" },
    ], [new InventoryWarning(WarningCode.ProcessesDenied, "1 process could not be inspected")], peersKnown: true);

    private static UnixSocket Listener(uint inode, string name, uint pending) => new()
    {
        Inode = inode,
        Type = UnixSocketType.Stream,
        State = UnixSocketState.Listening,
        Role = SocketRole.Listener,
        NameBytes = Encoding.UTF8.GetBytes(name),
        PendingCount = pending,
        Backlog = 128,
        Holders = [new SocketHolder(10, 3)],
    };

    /// <summary>
    /// 50 callers that all ask while one read is in flight get that one snapshot: one read, the same
    /// object for all. A source that never shares (one read per caller, even one at a time) fails
    /// here: it reads 50 times, or keeps callers waiting for their own turn.
    /// </summary>
    [Fact]
    public async Task ConcurrentCallersShareOneSnapshotAtATime()
    {
        int running = 0, maxRunning = 0, reads = 0;
        var gate = new object();
        using var release = new ManualResetEventSlim();
        var source = new SnapshotSource(() =>
        {
            int now = Interlocked.Increment(ref running);
            lock (gate)
            {
                maxRunning = Math.Max(maxRunning, now);
            }
            Interlocked.Increment(ref reads);
            release.Wait(TimeSpan.FromSeconds(30));
            Interlocked.Decrement(ref running);
            return Inventory();
        }, inv => UnixSocketMeasurements.From(inv, new SockPeer.Views.SocketFilter(), 500), TimeSpan.Zero, _ => { });

        const int Callers = 50;
        using var asked = new CountdownEvent(Callers);
        var calls = Enumerable.Range(0, Callers).Select(_ => Task.Run(() =>
        {
            var snapshot = source.GetAsync();
            asked.Signal();
            return snapshot;
        })).ToArray();
        // Every caller has asked while the first read is still blocked; only then may it finish.
        bool allAsked = asked.Wait(TimeSpan.FromSeconds(20));
        SpinWait.SpinUntil(() => Volatile.Read(ref reads) >= 1, TimeSpan.FromSeconds(30));
        release.Set();
        var snapshots = await Task.WhenAll(calls);
        Assert.True(allAsked, "callers waited for a snapshot of their own instead of sharing the one in flight");
        Assert.Equal(1, reads);
        Assert.Equal(1, maxRunning);
        Assert.Equal(1, source.MaxConcurrent);
        Assert.All(snapshots, s => Assert.Same(snapshots[0], s));
        // After it, a caller (min interval 0) gets a new one.
        long taken = source.Taken;
        Assert.NotSame(snapshots[0], await source.GetAsync());
        Assert.Equal(taken + 1, source.Taken);
    }

    [Fact]
    public async Task WithinTheMinIntervalTheLastSnapshotIsReused()
    {
        int reads = 0;
        var source = new SnapshotSource(() => { Interlocked.Increment(ref reads); return Inventory(); },
            inv => UnixSocketMeasurements.From(inv, new SockPeer.Views.SocketFilter(), 500), TimeSpan.FromMinutes(5), _ => { });
        var a = (await source.GetAsync());
        var b = (await source.GetAsync());
        Assert.Same(a, b);
        Assert.Equal(1, reads);
    }

    [Fact]
    public async Task AFailedSnapshotIsLoggedOnceAndTheNextCallTriesAgain()
    {
        var log = new List<string>();
        bool fail = true;
        var source = new SnapshotSource(() => fail ? throw new InventoryException("netlink went away") : Inventory(),
            inv => UnixSocketMeasurements.From(inv, new SockPeer.Views.SocketFilter(), 500), TimeSpan.Zero, log.Add);
        var e = await Assert.ThrowsAsync<SnapshotFailedException>(source.GetAsync);
        Assert.Equal("netlink went away", e.Message);
        Assert.Equal(["sockpeer: snapshot failed: netlink went away"], log);
        fail = false;
        Assert.NotNull((await source.GetAsync()));
        Assert.Equal(1, source.Failed);
    }

    [Fact]
    public async Task ExpositionEscapesLabelsAndWritesBothFormats()
    {
        var inventory = Inventory(
            Listener(1, "/run/a\"b.sock", 3),
            new UnixSocket { Inode = 2, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Server, NameBytes = Encoding.UTF8.GetBytes("/run/a\"b.sock"), Listener = 1, Peer = 3, RecvQueue = 5, Holders = [new SocketHolder(10, 4)] },
            new UnixSocket { Inode = 3, Type = UnixSocketType.Stream, State = UnixSocketState.Connected, Role = SocketRole.Client, Peer = 2, RecvQueue = 7, Holders = [new SocketHolder(11, 5)] });
        var source = new SnapshotSource(() => inventory, inv => UnixSocketMeasurements.From(inv, new SockPeer.Views.SocketFilter(), 500), TimeSpan.FromMinutes(5), _ => { });
        using var instruments = new SockPeerInstruments(source);
        using var exposition = new PrometheusExposition(instruments.Meter);
        var snapshot = (await source.GetAsync());

        string text = Encoding.UTF8.GetString(exposition.Render(snapshot, openMetrics: false));
        Assert.Contains("sockpeer_unix_listener_pending{path=\"/run/a\\\"b.sock\",netns=\"\",type=\"stream\",process=\"srv\",container=\"\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("sockpeer_unix_connections{path=\"/run/a\\\"b.sock\",server=\"srv\",client=\"cli\\\"ent\\\\x\\n\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("sockpeer_unix_queue_bytes{path=\"/run/a\\\"b.sock\",direction=\"recv\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("sockpeer_unix_queue_bytes{path=\"/run/a\\\"b.sock\",direction=\"send\"} 7\n", text, StringComparison.Ordinal);
        Assert.Contains("sockpeer_warnings{code=\"processes_denied\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("sockpeer_warnings{code=\"dump_incomplete\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE sockpeer_snapshots_total counter\nsockpeer_snapshots_total 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# EOF", text, StringComparison.Ordinal);

        string om = Encoding.UTF8.GetString(exposition.Render(snapshot, openMetrics: true));
        Assert.Contains("# TYPE sockpeer_snapshots counter\n", om, StringComparison.Ordinal);
        Assert.EndsWith("# EOF\n", om, StringComparison.Ordinal);
        // The same snapshot and format: the same bytes, rendered once.
        Assert.Same(exposition.Render(snapshot, openMetrics: true), exposition.Render(snapshot, openMetrics: true));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("*/*", false)]
    [InlineData("text/plain;version=0.0.4", false)]
    [InlineData("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", true)]
    [InlineData("application/openmetrics-text;version=1.0.0;q=0.2,text/plain;version=0.0.4;q=0.5", false)]
    [InlineData("application/openmetrics-text; version=1.0.0", true)]
    public void OpenMetricsOnlyWhenPreferred(string? accept, bool expected)
        => Assert.Equal(expected, PrometheusExposition.WantsOpenMetrics(accept));

    [Fact]
    public void FilterValuesAreValidatedInOneLine()
    {
        static SockPeer.Views.SocketFilter With(string name, string value) => ListFilter.Parse([(name, value)], start: null, optionPrefix: "");
        Assert.Equal([UnixSocketType.Dgram], With("type", "dgram").Types);
        Assert.Equal([UnixSocketType.Dgram], With("type", "DataGram").Types);
        Assert.Equal("type takes stream, dgram or seqpacket, not 'x'", Assert.Throws<FilterException>(() => With("type", "x")).Message);
        Assert.Equal("pid needs a process id (a positive number), not '0'", Assert.Throws<FilterException>(() => With("pid", "0")).Message);
        Assert.StartsWith("unknown filter 'netns'", Assert.Throws<FilterException>(() => With("netns", "/proc/1/ns/net")).Message, StringComparison.Ordinal);
        Assert.Equal([0u], With("user", "root").Uids);
    }

    [Fact]
    public async Task MetricsUseNoMeterOtherThanTheirOwn()
    {
        var source = new SnapshotSource(() => Inventory(), inv => UnixSocketMeasurements.From(inv, new SockPeer.Views.SocketFilter(), 500), TimeSpan.Zero, _ => { });
        using var instruments = new SockPeerInstruments(source);
        using var other = new Meter("Other");
        other.CreateObservableGauge("other_gauge", () => 1);
        using var exposition = new PrometheusExposition(instruments.Meter);
        string text = Encoding.UTF8.GetString(exposition.Render((await source.GetAsync()), openMetrics: false));
        Assert.DoesNotContain("other_gauge", text, StringComparison.Ordinal);
    }
}
