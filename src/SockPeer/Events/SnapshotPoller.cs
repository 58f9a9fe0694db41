using SockPeer.Diff;
using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Events;

/// <summary>
/// Events from snapshots taken every interval and compared with <see cref="SnapshotDiff"/>, with one
/// <see cref="SocketInventoryReader"/> kept for the whole run. Polling cannot see what opened and
/// closed within one interval: such a connection produces no event at all.
/// </summary>
public sealed class SnapshotPoller : ISocketEventSource
{
    private static readonly TimeSpan WarningRepeat = TimeSpan.FromMinutes(1);

    private readonly SocketInventoryReader _reader;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    // When each socket was first seen, or (for a client) when it was seen to connect; listeners: to listen.
    private readonly Dictionary<SocketKey, DateTimeOffset> _since = [];
    // Clients whose connection (or wait) was announced, or existed at the start: a connection first
    // read half and then whole is announced when it is whole, once.
    private readonly HashSet<SocketKey> _announced = [];
    private readonly Dictionary<WarningCode, DateTimeOffset> _warned = [];
    private HashSet<WarningCode> _warningsBefore = [];
    private readonly List<SocketEvent> _queued = [];
    private readonly List<SocketEvent> _deferred = [];
    private readonly List<Announcement> _deferredAnnouncements = [];
    private SocketInventory? _last;
    private long _nextTick;
    private bool _slowReported;

    /// <summary>A poller that reads with <paramref name="reader"/> every <paramref name="interval"/>.</summary>
    public SnapshotPoller(SocketInventoryReader reader, TimeSpan interval, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _reader = reader;
        _interval = interval;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public string Name => "poll";

    /// <summary>The interval between snapshots.</summary>
    public TimeSpan Interval => _interval;

    /// <summary>The newest snapshot taken; null before <see cref="Start"/>.</summary>
    public SocketInventory? Last => _last;

    /// <summary>Whether the next snapshot is due, so that <see cref="Next"/> would not wait.</summary>
    public bool Due => _last is not null && (_queued.Count > 0 || _time.GetTimestamp() >= _nextTick);

    /// <summary>
    /// Makes the next snapshot due now rather than at the next tick (a kernel event named a socket the
    /// newest snapshot does not have); later ticks keep the interval from it.
    /// </summary>
    public void SnapshotNow()
    {
        long now = _time.GetTimestamp();
        if (_nextTick > now)
        {
            _nextTick = now;
        }
    }

    /// <inheritdoc/>
    public SocketInventory Start(CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        var now = _time.GetUtcNow();
        var first = _reader.Read(CancellationToken.None); // the state to watch from: taken whole
        foreach (var s in first.Sockets)
        {
            _since[s.Key] = now;
            if (s.ConnectionClient == s.Inode)
            {
                _announced.Add(s.Key); // there at the start, whole or half: not new later
            }
        }
        QueueWarnings(first, now);
        _last = first;
        _nextTick = started + Ticks(_interval);
        return first;
    }

    /// <inheritdoc/>
    public IReadOnlyList<SocketEvent> Next(CancellationToken cancellationToken)
    {
        var last = _last ?? throw new InvalidOperationException("Start the poller first.");
        if (_queued.Count > 0)
        {
            var queued = _queued.ToArray();
            _queued.Clear();
            return queued;
        }
        long wait = _nextTick - _time.GetTimestamp();
        if (wait > 0 && cancellationToken.WaitHandle.WaitOne(_time.GetElapsedTime(0, wait)))
        {
            return [];
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return [];
        }
        long tickStart = _time.GetTimestamp();
        var now = _time.GetUtcNow();
        SocketInventory newer;
        try
        {
            newer = _reader.Read(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return []; // stopping: a snapshot half taken is no change
        }
        var events = Events(SnapshotDiff.Between(last, newer), now);
        QueueWarnings(newer, now);
        _last = newer;

        // Ticks keep their phase; one that overran starts the next at once rather than piling up.
        // A tick that starts late (a busy host, or a caller that came back late) is not slow: only a
        // snapshot that itself took longer than the interval is.
        long end = _time.GetTimestamp();
        _nextTick = Math.Max(_nextTick, tickStart) + Ticks(_interval);
        TimeSpan took = _time.GetElapsedTime(tickStart, end);
        if (_nextTick < end)
        {
            _nextTick = end;
        }
        if (took > _interval)
        {
            if (!_slowReported)
            {
                _slowReported = true;
                _queued.Add(new SocketEvent(SocketEventKind.Warning, now)
                {
                    Code = "slow_poll",
                    Message = $"a snapshot took {Milliseconds(took)}, longer than the {Milliseconds(_interval)} interval: "
                        + $"changes are sampled about every {Milliseconds(took)} (reported once)",
                });
            }
        }
        if (_queued.Count > 0)
        {
            events.AddRange(_queued);
            _queued.Clear();
        }
        return events;
    }

    private List<SocketEvent> Events(SnapshotDiff diff, DateTimeOffset now)
    {
        var older = diff.Older;
        var newer = diff.Newer;
        foreach (var s in diff.Appeared)
        {
            _since[s.Key] = now;
        }
        var events = new List<SocketEvent>();
        foreach (var e in _deferred)
        {
            // Still there, holder-less: passed on or left to the kernel, not closing. Gone: its close says it all.
            if (newer.Find(e.Socket!.Inode) is { } s && s.Key == e.Socket.Key)
            {
                events.Add(e);
            }
        }
        _deferred.Clear();
        // A listener or connection first read without holders was most often made while the fd walk ran
        // (the walk and the dumps run side by side): its announcement waits one tick for them, so a --pid
        // filter keeps it and no "holders" event follows. Gone since, it is announced as it was seen.
        HashSet<SocketKey>? announcedHeld = null;
        foreach (var a in _deferredAnnouncements)
        {
            var socket = Held(a.Socket, newer, ref announcedHeld);
            var peer = a.Peer is null ? null : Held(a.Peer, newer, ref announcedHeld);
            bool current = !ReferenceEquals(socket, a.Socket);
            var listener = a.Listener is { } l && current && newer.Find(l.Inode) is { } nl && nl.Key == l.Key ? nl : a.Listener;
            events.Add(Event(a.Kind, a.SeenAt, current ? newer : older, current ? older : newer, socket, peer, listener));
        }
        _deferredAnnouncements.Clear();
        foreach (var l in diff.ListenersAppeared)
        {
            _since[l.Key] = now;
            Announce(new Announcement(SocketEventKind.Listen, now, l, null, null));
        }
        foreach (var c in diff.Connected)
        {
            _since[c.Client.Key] = now;
            _announced.Add(c.Client.Key);
            Announce(new Announcement(SocketEventKind.Connect, now, c.Client, c.Server, c.Listener));
        }
        foreach (var c in diff.Pending)
        {
            _since[c.Client.Key] = now;
            _announced.Add(c.Client.Key);
            Announce(new Announcement(SocketEventKind.Pending, now, c.Client, null, c.Listener));
        }

        void Announce(Announcement a)
        {
            if (a.Socket.Holders.Count == 0)
            {
                _deferredAnnouncements.Add(a);
                return;
            }
            events.Add(Event(a.Kind, a.SeenAt, newer, older, a.Socket, a.Peer, a.Listener));
        }
        foreach (var c in diff.Completed)
        {
            // Half-read until now: seen, never announced. Its time runs from when it was first seen.
            if (_announced.Add(c.Client.Key))
            {
                events.Add(Event(c.Server is null ? SocketEventKind.Pending : SocketEventKind.Connect, now, newer, older, c.Client, c.Server, c.Listener));
            }
        }
        foreach (var c in diff.Accepted)
        {
            // Accepted, but its wait was only ever read half: announced now, as a connection.
            var kind = _announced.Add(c.Client.Key) ? SocketEventKind.Connect : SocketEventKind.Accept;
            events.Add(Event(kind, now, newer, older, c.Client, c.Server, c.Listener));
        }
        foreach (var h in diff.HoldersChanged)
        {
            if (h.Lost.Count == 0 && announcedHeld?.Contains(h.Newer.Key) == true)
            {
                continue; // the listen, connect or pending just announced names them
            }
            var peer = h.Newer.Peer is uint p and not 0 ? newer.Find(p) : null;
            var e = Event(SocketEventKind.Holders, now, newer, older, h.Newer, peer, null, h.Lost) with { HoldersGained = h.Gained, HoldersLost = h.Lost };
            // A socket whose last fd was just closed is read by the dump before it is released and by
            // the fd walk after: wait one tick to tell "closing" (a close event follows) from "held by nobody".
            (h.Newer.Holders.Count == 0 && !h.Newer.InFlight ? _deferred : events).Add(e);
        }
        foreach (var b in diff.PendingCountsChanged)
        {
            if ((b.BecameFull || b.Drained) && b.Newer.PendingCount is uint pending && b.Newer.Backlog is uint limit)
            {
                events.Add(Event(SocketEventKind.Backlog, now, newer, older, b.Newer, null, null) with { Backlog = new BacklogState(pending, limit, b.BecameFull) });
            }
        }
        foreach (var c in diff.Closed)
        {
            events.Add(Event(SocketEventKind.Close, now, older, newer, c.Client, c.Server, c.Listener) with { ObservedFor = ObservedFor(c.Client, now) });
        }
        foreach (var l in diff.ListenersGone)
        {
            events.Add(Event(SocketEventKind.Unlisten, now, older, newer, l, null, null) with { ObservedFor = ObservedFor(l, now) });
        }
        foreach (var s in diff.Vanished)
        {
            _since.Remove(s.Key);
            _announced.Remove(s.Key);
        }
        return events;
    }

    private TimeSpan? ObservedFor(UnixSocket s, DateTimeOffset now)
        => _since.TryGetValue(s.Key, out var since) ? now - since : null;

    /// <summary>
    /// A deferred announcement's socket as <paramref name="newer"/> has it, when it is still there: the same
    /// record when its role is unchanged, else the record seen with the holders found since (a waiting
    /// client accepted meanwhile is announced waiting; its accept follows). Gone: the record seen. The
    /// sockets whose holders the announcement now names go into <paramref name="held"/>.
    /// </summary>
    private static UnixSocket Held(UnixSocket seen, SocketInventory newer, ref HashSet<SocketKey>? held)
    {
        if (newer.Find(seen.Inode) is not { } now || now.Key != seen.Key)
        {
            return seen;
        }
        if (now.Holders.Count > 0)
        {
            (held ??= []).Add(now.Key);
        }
        return now.Role == seen.Role ? now : seen with { Holders = now.Holders };
    }

    /// <summary>A listen, connect or pending event waiting one tick for its socket's holders.</summary>
    private readonly record struct Announcement(SocketEventKind Kind, DateTimeOffset SeenAt, UnixSocket Socket, UnixSocket? Peer, UnixSocket? Listener);

    /// <summary>An event whose sockets come from <paramref name="snapshot"/>; processes are looked up there, then in <paramref name="other"/>.</summary>
    private SocketEvent Event(SocketEventKind kind, DateTimeOffset now, SocketInventory snapshot, SocketInventory other,
        UnixSocket socket, UnixSocket? peer, UnixSocket? listener, IReadOnlyList<SocketHolder>? lost = null)
        => new(kind, now)
        {
            Socket = socket,
            Peer = peer,
            Listener = listener,
            Processes = SocketEvents.ProcessesOf(snapshot, other, socket, peer, listener, lost),
            Snapshot = snapshot,
            Source = Name,
        };

    /// <summary>
    /// A warning is reported when its code appears (not in the snapshot before), at most once a minute
    /// per code: a state that lasts (a guarded process root cannot read) is said once, and one that
    /// flickers under churn (dumps racing with closes) does not fill the stream.
    /// </summary>
    private void QueueWarnings(SocketInventory newer, DateTimeOffset now)
    {
        var codes = new HashSet<WarningCode>();
        foreach (var w in newer.WarningDetails)
        {
            if (!codes.Add(w.Code) || _warningsBefore.Contains(w.Code) || (_warned.TryGetValue(w.Code, out var at) && now - at < WarningRepeat))
            {
                continue;
            }
            _warned[w.Code] = now;
            _queued.Add(new SocketEvent(SocketEventKind.Warning, now) { Code = w.Code.ToText(), Message = w.Message, Source = Name });
        }
        _warningsBefore = codes;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static string Milliseconds(TimeSpan t) => t.TotalMilliseconds >= 10_000 ? $"{t.TotalSeconds:F0} s" : $"{t.TotalMilliseconds:F0} ms";

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
