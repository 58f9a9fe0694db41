using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Views;

/// <summary>
/// One row of the socket table, as every renderer shows it: what the socket is, its two ends with
/// the client first, and how they relate. A connection is one row for both of its sockets.
/// </summary>
public sealed record SocketView
{
    /// <summary>The socket the row was made from (the one the filter matched or the query asked about).</summary>
    public required UnixSocket Socket { get; init; }
    /// <summary>What it is.</summary>
    public required SocketKind Kind { get; init; }
    /// <summary>The end shown first: the client of a connection or pending connection, else <see cref="Socket"/>.</summary>
    public required UnixSocket End { get; init; }
    /// <summary>The end shown second: the server of a connection, a pending client's listener, a pair's twin; null when none or not seen.</summary>
    public UnixSocket? Other { get; init; }
    /// <summary>The inode of the other end when the model names one: it may be absent from the snapshot (<see cref="Other"/> null), or 0 for a peer that closed.</summary>
    public uint? OtherInode { get; init; }
    /// <summary>How <see cref="End"/> and <see cref="Other"/> relate.</summary>
    public EndRelation Relation { get; init; }

    /// <summary>The client end (a connection's connecting side, a pending client); null for pairs and one-ended rows.</summary>
    public UnixSocket? Client => Kind is SocketKind.Connection or SocketKind.Pending ? End : null;

    /// <summary>The server end (an accepted socket, a listener, a datagram server); null when there is none or it was not seen.</summary>
    public UnixSocket? Server => Kind switch
    {
        SocketKind.Connection or SocketKind.Pending => Other,
        SocketKind.Listener or SocketKind.Bound => End,
        _ => null,
    };

    /// <summary>The sockets of the row: <see cref="End"/>, then <see cref="Other"/> when seen.</summary>
    public IEnumerable<UnixSocket> Sockets
    {
        get
        {
            yield return End;
            if (Other is not null)
            {
                yield return Other;
            }
        }
    }
}

/// <summary>Classification and "the other end", worked out once for every command and renderer.</summary>
public static class SocketViews
{
    /// <summary>
    /// The socket at the other end of <paramref name="socket"/>: its peer, or for a pending client the
    /// listener it waits on. Null when there is none or it is not in the snapshot.
    /// </summary>
    public static UnixSocket? OtherEnd(SocketInventory inventory, UnixSocket socket)
    {
        if (socket.Peer is uint p and not 0)
        {
            return inventory.Find(p);
        }
        return socket.PendingOn is uint l ? inventory.Find(l) : null;
    }

    /// <summary>The peer of <paramref name="socket"/> when it is in the snapshot (not a pending client's listener).</summary>
    public static UnixSocket? Peer(SocketInventory inventory, UnixSocket socket)
        => socket.Peer is uint p and not 0 ? inventory.Find(p) : null;

    /// <summary>The listener behind a socket: the one it was accepted from, waits on, or its peer was accepted from.</summary>
    public static UnixSocket? Listener(SocketInventory inventory, UnixSocket socket)
    {
        uint? inode = socket.Listener ?? socket.PendingOn ?? Peer(inventory, socket)?.Listener;
        return inode is uint l ? inventory.Find(l) : null;
    }

    /// <summary>What <paramref name="s"/> is, with its ends ordered client first.</summary>
    public static SocketView Classify(SocketInventory inventory, UnixSocket s)
    {
        UnixSocket? peer = Peer(inventory, s);
        if (s.InFlight)
        {
            return new SocketView { Socket = s, Kind = SocketKind.InFlight, End = s, Other = peer, OtherInode = s.InFlightOn, Relation = peer is null ? EndRelation.None : EndRelation.Mutual };
        }
        if (s.State == UnixSocketState.Listening)
        {
            return new SocketView { Socket = s, Kind = SocketKind.Listener, End = s };
        }
        if (s.PendingOn is uint lis)
        {
            return new SocketView { Socket = s, Kind = SocketKind.Pending, End = s, Other = inventory.Find(lis), OtherInode = lis, Relation = EndRelation.OneWay };
        }
        if (s.AwaitingAccept)
        {
            return new SocketView { Socket = s, Kind = SocketKind.Pending, End = s, Relation = EndRelation.OneWay };
        }
        if (peer is not null && peer.Peer == s.Inode)
        {
            // The client goes first: an accepted socket is the server end.
            var (client, server) = s.Listener is not null ? (peer, s) : (s, peer);
            return s.IsSocketPair
                ? new SocketView { Socket = s, Kind = SocketKind.Pair, End = s, Other = peer, OtherInode = peer.Inode, Relation = EndRelation.Mutual }
                : new SocketView { Socket = s, Kind = SocketKind.Connection, End = client, Other = server, OtherInode = server.Inode, Relation = EndRelation.Mutual };
        }
        if (peer is not null)
        {
            return new SocketView { Socket = s, Kind = SocketKind.Connection, End = s, Other = peer, OtherInode = peer.Inode, Relation = EndRelation.OneWay };
        }
        if (s.Peer is uint gone)
        {
            return new SocketView { Socket = s, Kind = gone == 0 ? SocketKind.Closed : SocketKind.Connection, End = s, OtherInode = gone, Relation = EndRelation.OneWay };
        }
        bool bound = s.NameBytes is not null || s.Clients.Count > 0 || s.State == UnixSocketState.Connected;
        return new SocketView { Socket = s, Kind = bound ? SocketKind.Bound : SocketKind.Unconnected, End = s };
    }

    /// <summary>
    /// The rows of a list: one per socket that <paramref name="filter"/> matches, in the order given,
    /// except that a connection or pair is one row and its second socket is not repeated.
    /// </summary>
    public static IEnumerable<SocketView> Rows(SocketInventory inventory, IEnumerable<UnixSocket> sockets, SocketFilter? filter = null)
    {
        var shown = new HashSet<uint>();
        foreach (var s in sockets)
        {
            if (shown.Contains(s.Inode) || (filter is not null && !filter.Matches(inventory, s)))
            {
                continue;
            }
            var view = Classify(inventory, s);
            shown.Add(s.Inode);
            if (view.Relation == EndRelation.Mutual && view.Kind is SocketKind.Connection or SocketKind.Pair && view.Other is { } other)
            {
                shown.Add(other.Inode);
                shown.Add(view.End.Inode);
            }
            yield return view;
        }
    }
}
