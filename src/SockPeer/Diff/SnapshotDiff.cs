using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Diff;

/// <summary>A socket whose holders changed between two snapshots.</summary>
/// <param name="Older">The socket as the older snapshot saw it.</param>
/// <param name="Newer">The socket as the newer snapshot sees it.</param>
/// <param name="Gained">(pid, fd) pairs that hold it now and did not before (fork, fd passed, dup).</param>
/// <param name="Lost">(pid, fd) pairs that held it and no longer do (close, exit).</param>
public sealed record HoldersChange(UnixSocket Older, UnixSocket Newer, IReadOnlyList<SocketHolder> Gained, IReadOnlyList<SocketHolder> Lost);

/// <summary>A listener whose count of waiting clients changed.</summary>
/// <param name="Older">The listener as the older snapshot saw it.</param>
/// <param name="Newer">The listener as the newer snapshot sees it.</param>
public sealed record PendingCountChange(UnixSocket Older, UnixSocket Newer)
{
    /// <summary>The queue went over its limit: the next connect() waits or fails with EAGAIN.</summary>
    public bool BecameFull => !Older.BacklogFull && Newer.BacklogFull;

    /// <summary>The queue was over its limit and no longer is.</summary>
    public bool Drained => Older.BacklogFull && !Newer.BacklogFull;
}

/// <summary>
/// What changed between two snapshots: sockets that appeared and vanished, listeners, connections
/// made, accepted and closed, clients now waiting, holders gained and lost, accept queues that grew
/// or shrank. Sockets are matched by <see cref="SocketKey"/> (inodes are reused).
/// <para>
/// Only kernel facts count as evidence. A connection is closed when one of its ends vanished or names
/// another peer (0 once the other end closed); an end that merely stops naming its peer in one snapshot
/// (a torn read the engine could not mend) closes nothing, and a connection already seen in the older
/// snapshot, mended or not, is not made again. In-flight marks are inferred and never count: a socket
/// passed in SCM_RIGHTS shows as holders lost and gained.
/// </para>
/// </summary>
public sealed class SnapshotDiff
{
    private SnapshotDiff(SocketInventory older, SocketInventory newer)
    {
        Older = older;
        Newer = newer;
    }

    /// <summary>The earlier snapshot.</summary>
    public SocketInventory Older { get; }
    /// <summary>The later snapshot.</summary>
    public SocketInventory Newer { get; }
    /// <summary>Sockets only in the newer snapshot (its records).</summary>
    public IReadOnlyList<UnixSocket> Appeared { get; private set; } = [];
    /// <summary>Sockets only in the older snapshot (its records).</summary>
    public IReadOnlyList<UnixSocket> Vanished { get; private set; } = [];
    /// <summary>Listeners and bound datagram servers that are new or started listening (newer records).</summary>
    public IReadOnlyList<UnixSocket> ListenersAppeared { get; private set; } = [];
    /// <summary>Listeners and bound datagram servers that vanished or stopped listening (older records).</summary>
    public IReadOnlyList<UnixSocket> ListenersGone { get; private set; } = [];
    /// <summary>Connections first seen established (newer records): the client connected and was accepted within one interval, or is a datagram client or socketpair.</summary>
    public IReadOnlyList<SocketConnection> Connected { get; private set; } = [];
    /// <summary>Clients first seen waiting in an accept queue (newer records; no server end yet).</summary>
    public IReadOnlyList<SocketConnection> Pending { get; private set; } = [];
    /// <summary>
    /// Connections and waiting clients whole for the first time whose client the older snapshot saw
    /// connected or waiting, but not as this whole connection (a half-read: its peer's record missing,
    /// or not naming it back). Not evidence of a new connection, and not in <see cref="Connected"/> or
    /// <see cref="Pending"/>: a consumer that has not announced this client yet (it was half-read since
    /// it appeared) announces it now (newer records; server null for a waiting client).
    /// </summary>
    public IReadOnlyList<SocketConnection> Completed { get; private set; } = [];
    /// <summary>Clients that were waiting and are now accepted (newer records).</summary>
    public IReadOnlyList<SocketConnection> Accepted { get; private set; } = [];
    /// <summary>Connections and waiting clients that went away (older records).</summary>
    public IReadOnlyList<SocketConnection> Closed { get; private set; } = [];
    /// <summary>Sockets in both snapshots whose holders changed.</summary>
    public IReadOnlyList<HoldersChange> HoldersChanged { get; private set; } = [];
    /// <summary>Listeners in both snapshots whose pending count changed.</summary>
    public IReadOnlyList<PendingCountChange> PendingCountsChanged { get; private set; } = [];

    /// <summary>Nothing changed.</summary>
    public bool IsEmpty => Appeared.Count == 0 && Vanished.Count == 0 && ListenersAppeared.Count == 0 && ListenersGone.Count == 0
        && Connected.Count == 0 && Pending.Count == 0 && Completed.Count == 0 && Accepted.Count == 0 && Closed.Count == 0
        && HoldersChanged.Count == 0 && PendingCountsChanged.Count == 0;

    /// <summary>Compares two snapshots of the same scope, <paramref name="older"/> taken first.</summary>
    public static SnapshotDiff Between(SocketInventory older, SocketInventory newer)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        var diff = new SnapshotDiff(older, newer);
        diff.Compute();
        return diff;
    }

    private void Compute()
    {
        var olderById = Index(Older);
        var newerById = Index(Newer);
        var appeared = new List<UnixSocket>();
        var vanished = new List<UnixSocket>();
        var listenersAppeared = new List<UnixSocket>();
        var listenersGone = new List<UnixSocket>();
        var holders = new List<HoldersChange>();
        var pendingCounts = new List<PendingCountChange>();

        foreach (var s in Newer.Sockets)
        {
            if (!olderById.TryGetValue(s.Key, out var o))
            {
                appeared.Add(s);
                if (SocketRoles.IsListener(s))
                {
                    listenersAppeared.Add(s);
                }
                continue;
            }
            if (SocketRoles.IsListener(s) && !SocketRoles.IsListener(o))
            {
                listenersAppeared.Add(s);
            }
            if (HoldersChangeOf(o, s) is { } h)
            {
                holders.Add(h);
            }
            if (s.Role == SocketRole.Listener && o.Role == SocketRole.Listener
                && s.PendingCount is uint now && o.PendingCount is uint before && now != before)
            {
                pendingCounts.Add(new PendingCountChange(o, s));
            }
        }
        foreach (var o in Older.Sockets)
        {
            bool present = newerById.TryGetValue(o.Key, out var s);
            if (!present)
            {
                vanished.Add(o);
            }
            if (SocketRoles.IsListener(o) && (!present || !SocketRoles.IsListener(s!)))
            {
                listenersGone.Add(o);
            }
        }
        Appeared = appeared;
        Vanished = vanished;
        ListenersAppeared = listenersAppeared;
        ListenersGone = listenersGone;
        HoldersChanged = holders;
        PendingCountsChanged = pendingCounts;
        CompareConnections(olderById, newerById);
    }

    private void CompareConnections(Dictionary<SocketKey, UnixSocket> olderById, Dictionary<SocketKey, UnixSocket> newerById)
    {
        var olderConnections = Connections(Older);
        var newerConnections = Connections(Newer);
        var connected = new List<SocketConnection>();
        var pending = new List<SocketConnection>();
        var accepted = new List<SocketConnection>();
        var closed = new List<SocketConnection>();
        var completed = new List<SocketConnection>();

        foreach (var (key, c) in newerConnections)
        {
            if (olderConnections.TryGetValue(key, out var before) || Swapped(olderConnections, c, out before))
            {
                if (before.Server is null && c.Server is not null)
                {
                    accepted.Add(c);
                }
                continue;
            }
            // New to us. Report it only when the older snapshot positively saw the client unconnected
            // (or not at all): one that named some peer there was a half-read connection, not a new one.
            if (olderById.TryGetValue(c.Client.Key, out var o) && !WasUnconnected(o))
            {
                completed.Add(c);
                continue;
            }
            (c.Server is null ? pending : connected).Add(c);
        }
        foreach (var (key, c) in olderConnections)
        {
            if (newerConnections.ContainsKey(key) || Swapped(newerConnections, c, out _))
            {
                continue;
            }
            if (EndedIn(c.Client, newerById) || (c.Server is not null && c.Server.Type != UnixSocketType.Dgram && EndedIn(c.Server, newerById))
                || (c.Server is not null && c.Server.Type == UnixSocketType.Dgram && !newerById.ContainsKey(c.Server.Key)))
            {
                closed.Add(c);
            }
        }
        Connected = connected;
        Pending = pending;
        Accepted = accepted;
        Closed = closed;
        Completed = completed;
    }

    /// <summary>
    /// Every connection and waiting client of a snapshot, keyed by its client's identity (a waiting
    /// client and the connection it becomes share the key).
    /// </summary>
    private static Dictionary<SocketKey, SocketConnection> Connections(SocketInventory inventory)
    {
        var connections = new Dictionary<SocketKey, SocketConnection>();
        foreach (var s in inventory.Sockets)
        {
            if ((SocketRoles.ConnectionOf(inventory, s) ?? SocketRoles.PendingOf(inventory, s)) is { } c)
            {
                connections[s.Key] = c;
            }
        }
        return connections;
    }

    /// <summary>
    /// The same connection keyed by its other end: which end is the client is inferred (listener
    /// joins, names), and an inference that flips between snapshots is not a new connection.
    /// </summary>
    private static bool Swapped(Dictionary<SocketKey, SocketConnection> connections, SocketConnection c, out SocketConnection found)
    {
        found = null!;
        if (c.Server is null || !connections.TryGetValue(c.Server.Key, out var other) || other.Server is null)
        {
            return false;
        }
        found = other;
        return other.Server.Key == c.Client.Key;
    }

    /// <summary>Not connected, not waiting, no peer: what a socket is before connect().</summary>
    private static bool WasUnconnected(UnixSocket o) => o.Role is SocketRole.Unconnected or SocketRole.Bound or SocketRole.DatagramServer;

    /// <summary>The end vanished, or the kernel says its peer is gone (0) or another one.</summary>
    private static bool EndedIn(UnixSocket end, Dictionary<SocketKey, UnixSocket> newerById)
    {
        if (!newerById.TryGetValue(end.Key, out var now))
        {
            return true;
        }
        return now.Peer is uint p && p != end.Peer && !SocketRoles.IsPending(now);
    }

    private static HoldersChange? HoldersChangeOf(UnixSocket o, UnixSocket s)
    {
        if (SameHolders(o.Holders, s.Holders))
        {
            return null;
        }
        var before = new HashSet<SocketHolder>(o.Holders);
        var now = new HashSet<SocketHolder>(s.Holders);
        var gained = s.Holders.Where(h => !before.Contains(h)).ToArray();
        var lost = o.Holders.Where(h => !now.Contains(h)).ToArray();
        return gained.Length == 0 && lost.Length == 0 ? null : new HoldersChange(o, s, gained, lost);
    }

    private static bool SameHolders(IReadOnlyList<SocketHolder> a, IReadOnlyList<SocketHolder> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }
        return true;
    }

    private static Dictionary<SocketKey, UnixSocket> Index(SocketInventory inventory)
    {
        var byId = new Dictionary<SocketKey, UnixSocket>(inventory.Sockets.Count);
        foreach (var s in inventory.Sockets)
        {
            byId[s.Key] = s;
        }
        return byId;
    }
}
