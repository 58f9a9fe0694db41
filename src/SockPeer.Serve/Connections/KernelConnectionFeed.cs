using SockPeer.Ebpf;
using SockPeer.Serve.Metrics;
using SockPeer.Serve.Snapshots;
using SockPeer.Views;

namespace SockPeer.Serve.Connections;

/// <summary>
/// Counts every AF_UNIX connect and accept the kernel reports, however short the connection, into
/// <see cref="ConnectionCounts"/>: one subscriber of the process's <see cref="UnixConnectionTracker"/>,
/// so it counts the same matched connects and accepts as every other consumer of it. The path is the
/// listener's name from the kernel; the client of a connect and the server of an accept are the
/// processes that made the call, the client of an accept is its connect's; the server of a connect
/// comes from the newest snapshot (the listener's holders). Only --path and --type can be applied to
/// a connection that may be gone before any snapshot, so those are the filters the counters follow.
/// </summary>
internal sealed class KernelConnectionFeed
{
    private readonly SnapshotSource _snapshots;
    private readonly SocketFilter _filter;
    private readonly ConnectionCounts _counts;
    private readonly ListenerIndex _listeners = new();

    private KernelConnectionFeed(SnapshotSource snapshots, SocketFilter filter, ConnectionCounts counts)
    {
        _snapshots = snapshots;
        _filter = filter;
        _counts = counts;
    }

    /// <summary>Counts what <paramref name="tracker"/> matches from now on; disposing the result stops.</summary>
    public static IDisposable Subscribe(UnixConnectionTracker tracker, SnapshotSource snapshots, SocketFilter filter, ConnectionCounts counts, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var feed = new KernelConnectionFeed(snapshots, filter, counts);
        return tracker.Subscribe(feed.Count, e => log($"sockpeer: eBPF events stopped: {SnapshotSource.OneLine(e.Message)}; sockpeer_unix_connects_total and sockpeer_unix_accepts_total no longer grow"));
    }

    private void Count(IReadOnlyList<UnixConnectionFact> facts)
    {
        foreach (var f in facts)
        {
            var k = f.Event;
            if (f.Kind == UnixConnectionFactKind.Close || k.Name is not { } path || !Selected(k, path))
            {
                continue;
            }
            if (f.Kind == UnixConnectionFactKind.Connect)
            {
                _counts.Connect(path, ServerOf(k), k.Command);
            }
            else
            {
                _counts.Accept(path, k.Command, f.Connect?.Command ?? ClientFromSnapshot(f.ClientInode));
            }
        }
    }

    private bool Selected(UnixKernelEvent e, string path)
        => (_filter.Name is not { } glob || glob.Matches(path)) && (_filter.Types.Count == 0 || _filter.Types.Contains(e.Type));

    /// <summary>The commands holding the listener the connect reached, as the connections gauge names them; "" when no snapshot has it yet.</summary>
    private string ServerOf(UnixKernelEvent e)
    {
        var snapshot = _snapshots.Last;
        if (snapshot is not null && _listeners.Find(snapshot.Inventory, e.NameBytes, e.NetNs) is { } listener)
        {
            return UnixSocketMeasurements.HolderNames.Of(snapshot.Inventory, listener);
        }
        if (snapshot is null || DateTime.UtcNow - snapshot.TakenAtUtc > TimeSpan.FromSeconds(5))
        {
            _ = _snapshots.GetAsync().ContinueWith(t => _ = t.Exception, TaskScheduler.Default); // a listener newer than the snapshot: the next events find it
        }
        return "";
    }

    /// <summary>The client of an accept whose connect the tracker did not see (it connected before the start).</summary>
    private string ClientFromSnapshot(uint inode)
        => inode != 0 && _snapshots.Last?.Inventory is { } inventory && inventory.Find(inode) is { } s ? UnixSocketMeasurements.HolderNames.Of(inventory, s) : "";
}
