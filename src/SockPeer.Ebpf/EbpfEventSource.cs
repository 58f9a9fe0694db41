using SockPeer.Events;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Views;

namespace SockPeer.Ebpf;

/// <summary>
/// Watch events from the kernel as they happen: every connect, accept and close of an AF_UNIX
/// stream or seqpacket socket, however short, with the process that made it (the eBPF program).
/// They are joined with a snapshot (listeners, holders, containers), so a line looks like a polled
/// one. Snapshots keep being taken underneath at <see cref="ResyncInterval"/>: they bring listen,
/// unlisten, backlog and holders events, and catch up with anything the kernel's events lost.
/// </summary>
public sealed class EbpfEventSource : ISocketEventSource
{
    private static readonly TimeSpan PollStep = TimeSpan.FromMilliseconds(50);
    // How long events wait in the kernel's ring before they are read: batches, not a wake-up per event.
    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(50);
    private const uint RingBufferBytes = 8 << 20; // about 40,000 events: seconds of a busy host's churn

    private readonly UnixKernelEventSource _kernel;
    private readonly SnapshotPoller _poller;
    // The ring buffer is drained on a thread of its own, so a slow snapshot never lets it fill.
    private readonly Thread _drain;
    private readonly object _gate = new();
    private List<UnixKernelEvent> _arrived = [];
    private List<UnixKernelEvent> _batch = [];
    private readonly ManualResetEventSlim _signal = new();
    private volatile bool _stopping;
    private Exception? _drainFailure;
    private readonly Dictionary<int, ProcessInfo> _seenProcesses = [];
    private Task<IReadOnlyList<SocketEvent>>? _snapshotting;
    // Listeners of the newest snapshot by name, rebuilt when the snapshot changes.
    private readonly ListenerIndex _listeners = new();
    // Client ends whose connect the kernel reported, by inode: its event, for observedFor and for accept.
    private readonly Dictionary<uint, UnixKernelEvent> _connected = [];
    // Accepted server ends, by inode: the client they belong to.
    private readonly Dictionary<uint, uint> _serverOf = [];
    // Client inodes the kernel reported connected or closed: the snapshots' versions are not repeated.
    private readonly HashSet<uint> _reported = [];
    // Connections (by client inode) one end of which closed while the other still has a socket.
    private readonly HashSet<uint> _closed = [];
    private ulong _lostReported;
    // Connects still ahead in the batch being translated, by client inode.
    private readonly Dictionary<uint, int> _connectsAhead = [];
    // Accepts and closes read before their client's connect, by client inode: this batch's, the last one's.
    private Dictionary<uint, List<UnixKernelEvent>> _waitingForConnect = [];
    private Dictionary<uint, List<UnixKernelEvent>> _waitingFromBefore = [];

    private EbpfEventSource(UnixKernelEventSource kernel, SnapshotPoller poller)
    {
        _kernel = kernel;
        _poller = poller;
        _drain = new Thread(Drain) { IsBackground = true, Name = "sockpeer ebpf" };
    }

    private void Drain()
    {
        var local = new List<UnixKernelEvent>();
        try
        {
            while (!_stopping)
            {
                if (_kernel.Poll(DrainInterval, local) == 0)
                {
                    continue;
                }
                lock (_gate)
                {
                    _arrived.AddRange(local);
                }
                local.Clear();
                _signal.Set();
            }
        }
        catch (IOException e)
        {
            _drainFailure = e;
            _signal.Set();
        }
    }

    /// <summary>How often snapshots are taken underneath the kernel's events.</summary>
    public TimeSpan ResyncInterval => _poller.Interval;

    /// <summary>
    /// Starts the eBPF program; null, with <paramref name="why"/>, where it cannot run (no BTF, no
    /// libbpf, no privilege, a build without the program).
    /// </summary>
    public static EbpfEventSource? TryCreate(SocketInventoryReader reader, TimeSpan resyncInterval, out string why)
        => TryCreate(reader, resyncInterval, null, out why);

    /// <summary>
    /// As <see cref="TryCreate(SocketInventoryReader, TimeSpan, out string)"/> for a consumer that keeps
    /// only what <paramref name="filter"/> matches: where its name pattern fixes how a path begins
    /// (`/run/app/*`), the kernel drops the events of other sockets before they are read. The events
    /// still need the filter: the kernel only drops what the filter could not match.
    /// </summary>
    public static EbpfEventSource? TryCreate(SocketInventoryReader reader, TimeSpan resyncInterval, SocketFilter? filter, out string why)
    {
        var kernel = UnixKernelEventSource.TryStart(out why, RingBufferBytes, KernelNamePrefix(filter?.Name));
        return kernel is null ? null : new EbpfEventSource(kernel, new SnapshotPoller(reader, resyncInterval));
    }

    /// <summary>
    /// The raw bytes every name a pattern matches begins with, for the kernel's filter: the glob's
    /// <see cref="NameGlob.AnchoredPrefix"/> up to its first character that is not printable ASCII
    /// (only those read the same in a display name and in the raw bytes), at most a sun_path long;
    /// empty when the pattern does not fix one.
    /// </summary>
    public static byte[] KernelNamePrefix(NameGlob? glob)
    {
        var prefix = new List<byte>();
        foreach (char c in glob?.AnchoredPrefix ?? "")
        {
            if (c is < ' ' or > '~' || prefix.Count == 108)
            {
                break;
            }
            prefix.Add((byte)c);
        }
        return [.. prefix];
    }

    /// <summary>Where the eBPF source cannot run, why (a cheap check that loads nothing); null where it may.</summary>
    public static string? Unavailable()
    {
        return UnixKernelEventSource.IsBuiltIn ? null : "this build has no eBPF program";
    }

    /// <inheritdoc/>
    public string Name => "ebpf";

    /// <inheritdoc/>
    public SocketInventory Start(CancellationToken cancellationToken)
    {
        _drain.Start(); // before the first snapshot: nothing that happens while it is taken is missed
        return _poller.Start(cancellationToken);
    }

    /// <inheritdoc/>
    public IReadOnlyList<SocketEvent> Next(CancellationToken cancellationToken)
    {
        var events = new List<SocketEvent>();
        while (events.Count == 0 && !cancellationToken.IsCancellationRequested)
        {
            _signal.Wait(PollStep, CancellationToken.None); // a cancelled watch is noticed within one step
            _signal.Reset();
            if (_drainFailure is { } failure)
            {
                throw new IOException(failure.Message, failure);
            }
            TranslateArrived(events);
            if (_kernel.Lost is var lost && lost > _lostReported)
            {
                events.Add(new SocketEvent(SocketEventKind.Warning, DateTimeOffset.UtcNow)
                {
                    Code = "ebpf_lost",
                    Message = $"{lost - _lostReported} kernel event(s) were lost (the ring buffer was full); the next snapshot catches up with the state, not with what opened and closed meanwhile",
                    Source = Name,
                });
                _lostReported = lost;
            }
            // Snapshots run beside the kernel's events, so a slow one (a busy host) delays no event line.
            if (_snapshotting is null && _poller.Due)
            {
                _snapshotting = Task.Run(() => _poller.Next(cancellationToken), CancellationToken.None);
            }
            if (_snapshotting is { IsCompleted: true } done)
            {
                _snapshotting = null;
                var polled = done.GetAwaiter().GetResult();
                // What the kernel reported while the snapshot was taken comes first, so the snapshot's
                // version of the same connection is recognised as already reported.
                TranslateArrived(events);
                foreach (var e in polled)
                {
                    if (!AlreadyReported(e))
                    {
                        events.Add(e with { Source = e.Kind == SocketEventKind.Warning ? Name : "poll" });
                    }
                }
                Forget(_poller.Last!);
            }
            if (events.Count == 0)
            {
                return events; // an empty batch lets the watcher check its output and its stop
            }
        }
        return events;
    }

    private void TranslateArrived(List<SocketEvent> events)
    {
        lock (_gate)
        {
            (_batch, _arrived) = (_arrived, _batch);
        }
        if (_batch.Count == 0)
        {
            return; // nothing read: what waits for a connect has not waited a batch yet
        }
        var snapshot = _poller.Last!;
        // A server on another CPU may accept, and even close, before the client's connect(2) returns
        // and makes its event: what refers to a client whose connect comes later waits for it.
        _connectsAhead.Clear();
        foreach (var k in _batch)
        {
            if (k.Kind == UnixKernelEventKind.Connect)
            {
                _connectsAhead[k.Inode] = _connectsAhead.GetValueOrDefault(k.Inode) + 1;
            }
        }
        foreach (var k in _batch)
        {
            if (k.Kind == UnixKernelEventKind.Connect)
            {
                _connectsAhead[k.Inode]--;
                Add(events, k, snapshot);
                if (_waitingForConnect.Remove(k.Inode, out var waiting) || _waitingFromBefore.Remove(k.Inode, out waiting))
                {
                    foreach (var w in waiting)
                    {
                        Add(events, w, snapshot);
                    }
                }
            }
            else if (k.PeerInode != 0 && !_connected.ContainsKey(k.PeerInode)
                && (_connectsAhead.GetValueOrDefault(k.PeerInode) > 0 || (k.Kind == UnixKernelEventKind.Accept && snapshot.Find(k.PeerInode) is null)))
            {
                // Its connect is later in this batch, or (an accept of a client no snapshot has seen) in the next.
                if (!_waitingForConnect.TryGetValue(k.PeerInode, out var list))
                {
                    _waitingForConnect[k.PeerInode] = list = [];
                }
                list.Add(k);
            }
            else
            {
                Add(events, k, snapshot);
            }
        }
        _batch.Clear();
        // What waited a whole batch for a connect that never came (a client connected before the start).
        foreach (var waiting in _waitingFromBefore.Values)
        {
            foreach (var w in waiting)
            {
                Add(events, w, snapshot);
            }
        }
        _waitingFromBefore.Clear();
        (_waitingFromBefore, _waitingForConnect) = (_waitingForConnect, _waitingFromBefore);
    }

    private void Add(List<SocketEvent> events, UnixKernelEvent k, SocketInventory snapshot)
    {
        if (Translate(k, snapshot) is { } e)
        {
            events.Add(e);
        }
    }

    /// <summary>A snapshot's connect, pending, accept or close of a connection the kernel already reported.</summary>
    private bool AlreadyReported(SocketEvent e)
        => e.Kind is SocketEventKind.Connect or SocketEventKind.Pending or SocketEventKind.Accept or SocketEventKind.Close
           && e.Socket is { } s && _reported.Contains(s.Inode);

    /// <summary>Drops what the snapshots no longer need to be told apart from: sockets gone for good.</summary>
    private void Forget(SocketInventory snapshot)
    {
        _reported.RemoveWhere(inode => snapshot.Find(inode) is null && !_connected.ContainsKey(inode));
        _closed.RemoveWhere(inode => snapshot.Find(inode) is null);
    }

    private SocketEvent? Translate(UnixKernelEvent k, SocketInventory snapshot)
    {
        switch (k.Kind)
        {
            case UnixKernelEventKind.Connect:
            {
                _connected[k.Inode] = k;
                _reported.Add(k.Inode);
                var client = snapshot.Find(k.Inode) ?? Synthesize(k, k.Inode, peer: null, name: null, SocketRole.Pending) with { AwaitingAccept = true };
                var listener = FindListener(snapshot, k);
                return Event(SocketEventKind.Connect, k, snapshot, client, null, listener);
            }
            case UnixKernelEventKind.Accept:
            {
                var server = snapshot.Find(k.Inode) ?? Synthesize(k, k.Inode, k.PeerInode, k.NameBytes, SocketRole.Server);
                UnixSocket? client = null;
                if (k.PeerInode != 0)
                {
                    _serverOf[k.Inode] = k.PeerInode;
                    _reported.Add(k.PeerInode);
                    client = snapshot.Find(k.PeerInode)
                        ?? (_connected.TryGetValue(k.PeerInode, out var c) ? Synthesize(c, c.Inode, k.Inode, null, SocketRole.Client) : null);
                }
                var listener = FindListener(snapshot, k);
                server = server with { Listener = listener?.Inode };
                return client is null
                    ? null // accepted after its client closed: the close was reported
                    : Event(SocketEventKind.Accept, k, snapshot, client with { Peer = k.Inode, AwaitingAccept = false, Role = SocketRole.Client }, server, listener);
            }
            case UnixKernelEventKind.Close when !k.Listening:
            {
                // One close per connection, when its first end goes; the event's socket is the client end.
                var known = snapshot.Find(k.Inode);
                bool serverEnd = _serverOf.Remove(k.Inode, out uint clientInode);
                if (!serverEnd)
                {
                    clientInode = known is { Role: SocketRole.Server, Peer: uint p and not 0 } ? p : k.Inode;
                    serverEnd = clientInode != k.Inode;
                }
                if (_closed.Remove(clientInode))
                {
                    return null; // the other end went first and was reported then
                }
                _connected.Remove(clientInode, out var connect);
                if (connect is null && known is null && !serverEnd)
                {
                    return null; // neither seen connecting nor in the snapshot: nothing the watcher shows
                }
                if (k.PeerInode != 0)
                {
                    // The kernel reports only the first end to go; both are reported when the two
                    // closes race, and the second is recognised here.
                    _closed.Add(clientInode);
                    if (!serverEnd)
                    {
                        _serverOf.Remove(k.PeerInode);
                    }
                }
                _reported.Add(clientInode);
                uint peerInode = serverEnd ? k.Inode : k.PeerInode;
                var socket = snapshot.Find(clientInode)
                    ?? (connect is not null ? Synthesize(connect, clientInode, peerInode, null, SocketRole.Client) : Synthesize(k, clientInode, peerInode, null, SocketRole.Client));
                var peer = peerInode == 0 ? null : snapshot.Find(peerInode) ?? (serverEnd ? Synthesize(k, k.Inode, clientInode, k.NameBytes, SocketRole.Server) : null);
                var listener = connect is not null ? FindListener(snapshot, connect)
                    : (peer?.Listener ?? socket.Listener) is uint l ? snapshot.Find(l)
                    : !serverEnd ? FindListener(snapshot, k) // an unnamed client's close carries the listener's name
                    : null;
                return Event(SocketEventKind.Close, k, snapshot, socket, peer, listener) with
                {
                    ObservedFor = connect is not null ? TimeSpan.FromTicks((long)(k.MonotonicNanoseconds - connect.MonotonicNanoseconds) / 100) : null,
                };
            }
            default:
                return null; // a listener's close: the snapshots report it as unlisten, with its holders
        }
    }

    private SocketEvent Event(SocketEventKind kind, UnixKernelEvent k, SocketInventory snapshot, UnixSocket socket, UnixSocket? peer, UnixSocket? listener)
    {
        Remember(k);
        var processes = new List<ProcessInfo>(SocketEvents.ProcessesOf(snapshot, null, socket, peer, listener, null));
        int known = processes.Count;
        foreach (int pid in (ReadOnlySpan<int>)[k.Pid, .. Pids(socket), .. Pids(peer)])
        {
            // A process gone before any snapshot saw it (a 20 ms curl): what the kernel said of it.
            if (!processes.Exists(p => p.Pid == pid) && _seenProcesses.TryGetValue(pid, out var seen))
            {
                processes.Add(seen);
            }
        }
        if (processes.Count > known)
        {
            processes.Sort((a, b) => a.Pid.CompareTo(b.Pid));
        }
        return new SocketEvent(kind, k.Time)
        {
            Socket = socket,
            Peer = peer,
            Listener = listener,
            Processes = processes,
            Snapshot = snapshot,
            Source = Name,
        };
    }

    private static IEnumerable<int> Pids(UnixSocket? s) => s is null ? [] : s.Holders.Select(h => h.Pid);

    /// <summary>What the kernel said of each process that made an event, for those no snapshot saw.</summary>
    private void Remember(UnixKernelEvent k)
    {
        if (_seenProcesses.Count >= 65536)
        {
            _seenProcesses.Clear(); // bounded: a process still alive is in the next snapshot anyway
        }
        // Most events come from a few busy processes: keep their record rather than make one an event.
        if (!_seenProcesses.TryGetValue(k.Pid, out var seen) || seen.Command != k.Command || seen.Uid != k.Uid || seen.NetNs != k.NetNs)
        {
            _seenProcesses[k.Pid] = new ProcessInfo { Pid = k.Pid, Command = k.Command, Uid = k.Uid, NetNs = k.NetNs };
        }
    }

    /// <summary>A socket as the kernel's event describes it, for one no snapshot has seen; the kernel's call says its role (connect: the client, accept: the server).</summary>
    private static UnixSocket Synthesize(UnixKernelEvent k, uint inode, uint? peer, byte[]? name, SocketRole role) => new()
    {
        Role = role,
        Inode = inode,
        NetNs = k.NetNs,
        Type = k.Type,
        State = UnixSocketState.Connected,
        NameBytes = name,
        Peer = peer,
        Holders = inode == k.Inode ? [new SocketHolder(k.Pid, k.Fd)] : [],
    };

    /// <summary>The listener a client reached: same name, and for an abstract name the same namespace.</summary>
    private UnixSocket? FindListener(SocketInventory snapshot, UnixKernelEvent k) => _listeners.Find(snapshot, k.NameBytes, k.NetNs);

    /// <inheritdoc/>
    public void Dispose()
    {
        _stopping = true;
        if (_drain.IsAlive)
        {
            _drain.Join();
        }
        _kernel.Dispose();
        _poller.Dispose();
        _signal.Dispose();
    }
}
