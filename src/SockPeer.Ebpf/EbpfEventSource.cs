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

    /// <summary>
    /// Facts translated per batch at most; the rest wait for the next call, which does not wait. A busy
    /// host's facts of one drain (1,000 and more at 50 ms) translated at once were all alive when a
    /// collection came, and the collector's copying of them was a fifth of an unfiltered watcher's CPU.
    /// </summary>
    private const int MaxBatch = 256;
    private const uint RingBufferBytes = 8 << 20; // about 40,000 events: seconds of a busy host's churn

    private readonly UnixConnectionTracker _tracker;
    private readonly bool _ownsTracker;
    private readonly IDisposable _subscription;
    private readonly SnapshotPoller _poller;
    // Facts arrive on the tracker's drain thread, so a slow snapshot never lets the ring fill.
    private readonly object _gate = new();
    private List<UnixConnectionFact> _arrived = [];
    private List<UnixConnectionFact> _batch = [];
    private readonly ManualResetEventSlim _signal = new();
    private Exception? _drainFailure;
    private readonly Dictionary<int, ProcessInfo> _seenProcesses = [];
    private Task<(IReadOnlyList<SocketEvent> Events, ulong EndedAt)>? _snapshotting;
    // Facts not translated yet, each with the first snapshot that may translate it (one started after
    // it arrived): a connect to a listener newer than the snapshot waits for one that has it.
    private readonly List<(UnixConnectionFact Fact, int After)> _pending = [];
    private int _snapshotsStarted;
    private int _snapshotsDone;
    private bool _snapshotWanted;
    private bool _more; // facts left untranslated by the last batch (MaxBatch): the next call does not wait
    // A finished snapshot's events with when it ended, held until the kernel's facts of that time are in.
    private (IReadOnlyList<SocketEvent> Events, ulong EndedAt)? _polled;
    // Listeners of the newest snapshot by name, rebuilt when the snapshot changes.
    private readonly ListenerIndex _listeners = new();
    // Client inodes whose connect the kernel reported and whose close it has not.
    private readonly HashSet<uint> _connected = [];
    // Client inodes the kernel reported connected or closed: the snapshots' versions are not repeated.
    private readonly HashSet<uint> _reported = [];
    // Connections (by client inode) older than the tracker, one end of which closed: the other end's
    // close is recognised when the two closes race (the tracker recognises it for those it saw).
    private readonly HashSet<uint> _closed = [];
    private ulong _lostReported;

    private EbpfEventSource(UnixConnectionTracker tracker, bool ownsTracker, SnapshotPoller poller)
    {
        _tracker = tracker;
        _ownsTracker = ownsTracker;
        _poller = poller;
        _subscription = tracker.Subscribe(OnFacts, OnFailure);
    }

    private void OnFacts(IReadOnlyList<UnixConnectionFact> facts)
    {
        lock (_gate)
        {
            _arrived.AddRange(facts);
        }
        _signal.Set();
    }

    private void OnFailure(IOException e)
    {
        _drainFailure = e;
        _signal.Set();
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
        var tracker = UnixConnectionTracker.TryCreate(RingBufferBytes, KernelNamePrefix(filter?.Name), out why);
        return tracker is null ? null : new EbpfEventSource(tracker, ownsTracker: true, new SnapshotPoller(reader, resyncInterval));
    }

    /// <summary>
    /// A source over a tracker that other consumers share (serve's counters): one ring buffer and one
    /// drain thread for all of them. The tracker is the caller's, started by <see cref="Start"/> and
    /// not disposed with this source.
    /// </summary>
    public static EbpfEventSource Over(UnixConnectionTracker tracker, SocketInventoryReader reader, TimeSpan resyncInterval)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        return new EbpfEventSource(tracker, ownsTracker: false, new SnapshotPoller(reader, resyncInterval));
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
        _tracker.Start(); // before the first snapshot: nothing that happens while it is taken is missed
        return _poller.Start(cancellationToken);
    }

    /// <inheritdoc/>
    public IReadOnlyList<SocketEvent> Next(CancellationToken cancellationToken)
    {
        var events = new List<SocketEvent>();
        while (events.Count == 0 && !cancellationToken.IsCancellationRequested)
        {
            if (!_more)
            {
                _signal.Wait(PollStep, CancellationToken.None); // a cancelled watch is noticed within one step
            }
            _signal.Reset();
            if (_drainFailure is { } failure)
            {
                throw new IOException(failure.Message, failure);
            }
            TakeArrived();
            TranslatePending(events);
            if (_tracker.Lost is var lost && lost > _lostReported)
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
            // A kernel event naming a listener the snapshot lacks asks for one now, not at the next tick.
            if (_snapshotting is null && _polled is null && (_poller.Due || _snapshotWanted))
            {
                if (_snapshotWanted)
                {
                    _poller.SnapshotNow();
                    _snapshotWanted = false;
                }
                _snapshotsStarted++;
                _snapshotting = Task.Run(() =>
                {
                    var polled = _poller.Next(cancellationToken);
                    return (polled, UnixConnectionTracker.MonotonicNow());
                }, CancellationToken.None);
            }
            if (_snapshotting is { IsCompleted: true } done)
            {
                _snapshotting = null;
                _polled = done.GetAwaiter().GetResult();
            }
            // The snapshot's connects and closes are the kernel's to report: its events wait until the
            // facts of everything made before it ended have been read (at most a drain interval or two).
            if (_polled is { } finished && _tracker.DeliveredThrough >= finished.EndedAt)
            {
                _polled = null;
                _snapshotsDone = _snapshotsStarted;
                var polled = finished.Events;
                // What the kernel reported while the snapshot was taken is marked first, so the
                // snapshot's version of the same connection is recognised as already reported; it is
                // translated after the snapshot's events (a listen comes before the connects to it).
                TakeArrived();
                foreach (var e in polled)
                {
                    if (!AlreadyReported(e))
                    {
                        events.Add(e with { Source = e.Kind == SocketEventKind.Warning ? Name : "poll" });
                    }
                }
                TranslatePending(events);
                Forget(_poller.Last!);
            }
            if (events.Count == 0)
            {
                return events; // an empty batch lets the watcher check its output and its stop
            }
        }
        return events;
    }

    /// <summary>Moves the facts the drain thread handed over to <see cref="_pending"/>, marking their connections as the kernel's to report.</summary>
    private void TakeArrived()
    {
        lock (_gate)
        {
            (_batch, _arrived) = (_arrived, _batch);
        }
        foreach (var f in _batch)
        {
            _pending.Add((f, _snapshotsStarted + 1));
            if ((f.Kind == UnixConnectionFactKind.Connect ? f.Event.Inode : f.ClientInode) is uint client and not 0)
            {
                _reported.Add(client);
            }
        }
        _batch.Clear();
    }

    /// <summary>
    /// Translates the pending facts in order, up to the first that names a listener the newest snapshot
    /// lacks while a snapshot taken after it may still bring it (that one is asked for now).
    /// </summary>
    private void TranslatePending(List<SocketEvent> events)
    {
        _more = false;
        if (_pending.Count == 0)
        {
            return;
        }
        var snapshot = _poller.Last!;
        int done = 0;
        for (; done < _pending.Count; done++)
        {
            var (f, after) = _pending[done];
            if (_snapshotsDone < after && ListenerUnknown(f, snapshot))
            {
                _snapshotWanted = true;
                break;
            }
            if (events.Count >= MaxBatch)
            {
                _more = true;
                break;
            }
            if (Translate(f, snapshot) is { } e)
            {
                events.Add(e);
            }
        }
        _pending.RemoveRange(0, done);
    }

    /// <summary>A connect or accept to a named listener the snapshot does not have (it is newer).</summary>
    private bool ListenerUnknown(UnixConnectionFact f, SocketInventory snapshot)
        => f.Kind is UnixConnectionFactKind.Connect or UnixConnectionFactKind.Accept
           && f.Event.NameBytes is { Length: > 0 }
           && _listeners.Find(snapshot, f.Event.NameBytes, f.Event.NetNs) is null;

    /// <summary>A snapshot's connect, pending, accept or close of a connection the kernel already reported.</summary>
    private bool AlreadyReported(SocketEvent e)
        => e.Kind is SocketEventKind.Connect or SocketEventKind.Pending or SocketEventKind.Accept or SocketEventKind.Close
           && e.Socket is { } s && _reported.Contains(s.Inode);

    /// <summary>Drops what the snapshots no longer need to be told apart from: sockets gone for good.</summary>
    private void Forget(SocketInventory snapshot)
    {
        _reported.RemoveWhere(inode => snapshot.Find(inode) is null && !_connected.Contains(inode));
        _closed.RemoveWhere(inode => snapshot.Find(inode) is null);
        if (_connected.Count >= 65536)
        {
            _connected.Clear(); // closes lost with a full ring: bounded
        }
    }

    /// <summary>One matched fact as a watch event, joined with the snapshot; null when there is nothing to show.</summary>
    private SocketEvent? Translate(UnixConnectionFact f, SocketInventory snapshot)
    {
        var k = f.Event;
        switch (f.Kind)
        {
            case UnixConnectionFactKind.Connect:
            {
                _connected.Add(k.Inode);
                _reported.Add(k.Inode);
                var client = snapshot.Find(k.Inode) ?? Synthesize(k, k.Inode, peer: null, name: null, SocketRole.Pending, awaitingAccept: true);
                var listener = FindListener(snapshot, k);
                return Event(SocketEventKind.Connect, k, snapshot, client, null, listener);
            }
            case UnixConnectionFactKind.Accept:
            {
                // A socket of the snapshot is copied with what the accept changed; one synthesized is made
                // with it (a copy of a 40-field record per event is most of what an event allocates).
                var listener = FindListener(snapshot, k);
                uint? listenerInode = listener is { Inode: not 0 } ? listener.Inode : null;
                var server = snapshot.Find(k.Inode) is { } seenServer
                    ? seenServer.Listener == listenerInode ? seenServer : seenServer with { Listener = listenerInode }
                    : Synthesize(k, k.Inode, f.ClientInode, k.NameBytes, SocketRole.Server, listener: listenerInode);
                UnixSocket? client = null;
                if (f.ClientInode != 0)
                {
                    _reported.Add(f.ClientInode);
                    client = snapshot.Find(f.ClientInode) is { } seenClient
                        ? seenClient with { Peer = k.Inode, AwaitingAccept = false, PendingOn = null, Role = SocketRole.Client }
                        : null;
                }
                // A client that closed before this accept is gone from every snapshot: its connect says who it was.
                client ??= f.Connect is { } c ? Synthesize(c, c.Inode, k.Inode, null, SocketRole.Client) : null;
                return client is null
                    ? null // a client from before the start, gone before any snapshot saw it
                    : Event(SocketEventKind.Accept, k, snapshot, client, server, listener);
            }
            default:
                return TranslateClose(f, snapshot);
        }
    }

    /// <summary>One close per connection, when its first end goes; the event's socket is the client end.</summary>
    private SocketEvent? TranslateClose(UnixConnectionFact f, SocketInventory snapshot)
    {
        var k = f.Event;
        var known = snapshot.Find(k.Inode);
        bool serverEnd;
        uint clientInode;
        if (f.Closed == ConnectionEnd.Unknown)
        {
            // A connection older than the tracker: which end this is, the engine decided in the snapshot.
            clientInode = ClientEndOf(known, k.Inode);
            serverEnd = clientInode != k.Inode;
            if (_closed.Remove(clientInode))
            {
                return null; // the other end went first and was reported then
            }
            if (k.PeerInode != 0)
            {
                _closed.Add(clientInode); // both ends are reported when the two closes race
            }
        }
        else
        {
            // The kernel said: the connect caller's end is the client, the accept caller's the server.
            serverEnd = f.Closed == ConnectionEnd.Server;
            clientInode = serverEnd ? f.ClientInode : k.Inode;
        }
        _connected.Remove(clientInode);
        var connect = f.Connect;
        if (connect is null && known is null && !serverEnd)
        {
            return null; // neither seen connecting nor in the snapshot: nothing the watcher shows
        }
        _reported.Add(clientInode);
        uint peerInode = serverEnd ? k.Inode : f.ServerInode != 0 ? f.ServerInode : k.PeerInode;
        // Accepted, then closed: a connection closing, never a client that gave up waiting (an older
        // snapshot may still have it pending). Not accepted: a client that gave up waiting to be accepted.
        bool gaveUp = f.Accepted == false;
        var socket = snapshot.Find(clientInode) is { } seen
            ? f.Accepted switch
            {
                true => seen with { AwaitingAccept = false, PendingOn = null, Peer = peerInode != 0 ? peerInode : seen.Peer, Role = SocketRole.Client },
                false => seen with { AwaitingAccept = true, Role = SocketRole.Pending },
                null => seen,
            }
            : Synthesize(connect ?? k, clientInode, peerInode, null, gaveUp ? SocketRole.Pending : SocketRole.Client, awaitingAccept: gaveUp);
        // The server end of an accepted connection, also when no snapshot saw it: the accept said who it is.
        var peer = peerInode == 0 ? null
            : snapshot.Find(peerInode)
              ?? (serverEnd ? Synthesize(k, k.Inode, clientInode, k.NameBytes, SocketRole.Server)
                  : f.Accept is { } a ? Synthesize(a, a.Inode, clientInode, a.NameBytes, SocketRole.Server) : null);
        var listener = connect is not null ? FindListener(snapshot, connect)
            : (peer?.Listener ?? socket.Listener) is uint l ? snapshot.Find(l)
            : !serverEnd ? _listeners.Find(snapshot, k.NameBytes, k.NetNs) // an unnamed client's close carries the listener's name
            : null;
        return Event(SocketEventKind.Close, k, snapshot, socket, peer, listener,
            observedFor: connect is not null ? TimeSpan.FromTicks((long)(k.MonotonicNanoseconds - connect.MonotonicNanoseconds) / 100) : null);
    }

    /// <summary>
    /// The client end of a connection the tracker did not see begin, given one of its ends as the
    /// snapshot has it: the peer when the engine decided this end is the server, else this end.
    /// </summary>
    private static uint ClientEndOf(UnixSocket? known, uint inode)
        => known is { Role: SocketRole.Server, Peer: uint p and not 0 } ? p : inode;

    private SocketEvent Event(SocketEventKind kind, UnixKernelEvent k, SocketInventory snapshot, UnixSocket socket, UnixSocket? peer, UnixSocket? listener, TimeSpan? observedFor = null)
    {
        Remember(k);
        var found = SocketEvents.ProcessesOf(snapshot, null, socket, peer, listener, null);
        var processes = found as List<ProcessInfo> ?? new List<ProcessInfo>(found);
        int known = processes.Count;
        AddSeen(processes, k.Pid);
        foreach (var holders in (ReadOnlySpan<IReadOnlyList<SocketHolder>?>)[socket.Holders, peer?.Holders])
        {
            for (int i = 0; i < (holders?.Count ?? 0); i++)
            {
                AddSeen(processes, holders![i].Pid);
            }
        }
        if (processes.Count > known)
        {
            processes.Sort(static (a, b) => a.Pid.CompareTo(b.Pid));
        }
        return new SocketEvent(kind, k.Time)
        {
            Socket = socket,
            Peer = peer,
            Listener = listener,
            Processes = processes,
            Snapshot = snapshot,
            Source = Name,
            ObservedFor = observedFor,
        };
    }

    /// <summary>A process gone before any snapshot saw it (a 20 ms curl): what the kernel said of it, unless it is there already.</summary>
    private void AddSeen(List<ProcessInfo> processes, int pid)
    {
        foreach (var p in processes)
        {
            if (p.Pid == pid)
            {
                return;
            }
        }
        if (_seenProcesses.TryGetValue(pid, out var seen))
        {
            processes.Add(seen);
        }
    }

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
    private static UnixSocket Synthesize(UnixKernelEvent k, uint inode, uint? peer, byte[]? name, SocketRole role, bool awaitingAccept = false, uint? listener = null) => new()
    {
        Role = role,
        AwaitingAccept = awaitingAccept,
        Listener = listener,
        Inode = inode,
        NetNs = k.NetNs,
        Type = k.Type,
        State = UnixSocketState.Connected,
        NameBytes = name,
        Peer = peer,
        Holders = inode == k.Inode ? [new SocketHolder(k.Pid, k.Fd)] : [],
    };

    /// <summary>
    /// The listener a client reached: same name, and for an abstract name the same namespace. One that
    /// no snapshot saw (gone before the snapshot asked for it was taken) is described by the kernel's
    /// event: its name, with inode 0 and no holders.
    /// </summary>
    private UnixSocket? FindListener(SocketInventory snapshot, UnixKernelEvent k)
        => _listeners.Find(snapshot, k.NameBytes, k.NetNs)
           ?? (k.NameBytes is { Length: > 0 } name ? new UnixSocket
           {
               Role = SocketRole.Listener,
               Inode = 0,
               NetNs = k.NetNs,
               Type = k.Type,
               State = UnixSocketState.Listening,
               NameBytes = name,
           } : null);

    /// <inheritdoc/>
    public void Dispose()
    {
        _subscription.Dispose();
        if (_ownsTracker)
        {
            _tracker.Dispose();
        }
        _poller.Dispose();
        _signal.Dispose();
    }
}
