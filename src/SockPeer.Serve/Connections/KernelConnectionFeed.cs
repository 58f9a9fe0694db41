using SockPeer.Ebpf;
using SockPeer.Serve.Metrics;
using SockPeer.Serve.Snapshots;
using SockPeer.Views;

namespace SockPeer.Serve.Connections;

/// <summary>
/// Counts every AF_UNIX connect and accept the kernel reports (the eBPF source), however short the
/// connection, into <see cref="ConnectionCounts"/>. The path is the listener's name from the kernel;
/// the client of a connect and the server of an accept are the processes that made the call; the
/// other side comes from the newest snapshot (the listener's holders, the client seen connecting).
/// Only --path and --type can be applied to a connection that may be gone before any snapshot, so
/// those are the filters the counters follow.
/// </summary>
internal sealed class KernelConnectionFeed : IDisposable
{
    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(250);
    private const uint RingBufferBytes = 4 << 20;

    private readonly UnixKernelEventSource _kernel;
    private readonly SnapshotSource _snapshots;
    private readonly SocketFilter _filter;
    private readonly ConnectionCounts _counts;
    private readonly Thread _drain;
    private readonly Action<string> _log;
    private volatile bool _stopping;
    // Client commands by the client's kernel socket id, from connect until the accept that names it
    // (by id, not inode: a client that closed before the accept has no inode left).
    private readonly Dictionary<ulong, string> _clients = [];
    // Accepts read before their client's connect, by client socket id: a server on another CPU accepts
    // while connect(2) has not yet returned (its event is made on the way out). Counted when the
    // connect arrives, or after one more drain without it (a client from before the start).
    private Dictionary<ulong, (string Path, string Server, uint ClientInode)> _acceptsAhead = [];
    private Dictionary<ulong, (string Path, string Server, uint ClientInode)> _acceptsAheadBefore = [];
    private readonly ListenerIndex _listeners = new();

    private KernelConnectionFeed(UnixKernelEventSource kernel, SnapshotSource snapshots, SocketFilter filter, ConnectionCounts counts, Action<string> log)
    {
        _kernel = kernel;
        _snapshots = snapshots;
        _filter = filter;
        _counts = counts;
        _log = log;
        _drain = new Thread(Drain) { IsBackground = true, Name = "sockpeer ebpf" };
        _drain.Start();
    }

    /// <summary>Events the kernel dropped because the ring buffer was full: those connects and accepts are not counted.</summary>
    public ulong Lost => _kernel.Lost;

    /// <summary>Starts counting; null, with <paramref name="why"/>, where the eBPF source cannot run.</summary>
    public static KernelConnectionFeed? TryStart(SnapshotSource snapshots, SocketFilter filter, ConnectionCounts counts, Action<string> log, out string why)
    {
        var kernel = UnixKernelEventSource.TryStart(out why, RingBufferBytes, EbpfEventSource.KernelNamePrefix(filter.Name));
        return kernel is null ? null : new KernelConnectionFeed(kernel, snapshots, filter, counts, log);
    }

    private void Drain()
    {
        var events = new List<UnixKernelEvent>();
        try
        {
            while (!_stopping)
            {
                _kernel.Poll(DrainInterval, events);
                foreach (var e in events)
                {
                    Count(e);
                }
                events.Clear();
                foreach (var (path, server, clientInode) in _acceptsAheadBefore.Values)
                {
                    _counts.Accept(path, server, ClientFromSnapshot(clientInode));
                }
                _acceptsAheadBefore.Clear();
                (_acceptsAheadBefore, _acceptsAhead) = (_acceptsAhead, _acceptsAheadBefore);
            }
        }
        catch (IOException e)
        {
            _log($"sockpeer: eBPF events stopped: {SnapshotSource.OneLine(e.Message)}; sockpeer_unix_connects_total and sockpeer_unix_accepts_total no longer grow");
        }
    }

    private void Count(UnixKernelEvent e)
    {
        if (e.Kind == UnixKernelEventKind.Close || e.Name is not { } path || !Selected(e, path))
        {
            return;
        }
        if (e.Kind == UnixKernelEventKind.Connect)
        {
            _counts.Connect(path, ServerOf(e), e.Command);
            if (_acceptsAhead.Remove(e.SocketId, out var accept) || _acceptsAheadBefore.Remove(e.SocketId, out accept))
            {
                _counts.Accept(accept.Path, accept.Server, e.Command);
                return;
            }
            if (_clients.Count >= 65536)
            {
                _clients.Clear(); // connects never accepted (a listener that never accepts): bounded
            }
            _clients[e.SocketId] = e.Command;
        }
        else if (_clients.Remove(e.PeerSocketId, out string? client))
        {
            _counts.Accept(path, e.Command, client);
        }
        else
        {
            _acceptsAhead[e.PeerSocketId] = (path, e.Command, e.PeerInode);
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

    private string ClientFromSnapshot(uint inode)
        => inode != 0 && _snapshots.Last?.Inventory is { } inventory && inventory.Find(inode) is { } s ? UnixSocketMeasurements.HolderNames.Of(inventory, s) : "";

    public void Dispose()
    {
        _stopping = true;
        if (_drain.IsAlive)
        {
            _drain.Join();
        }
        _kernel.Dispose();
    }
}
