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

    /// <summary>The client end (a connection's connecting side, a pending client, a datagram client); null for pairs and one-ended rows.</summary>
    public UnixSocket? Client => End.Role is SocketRole.Client or SocketRole.Pending or SocketRole.DatagramClient ? End : null;

    /// <summary>The server end (an accepted socket, a listener, a datagram server); null when there is none or it was not seen.</summary>
    public UnixSocket? Server => End.Role switch
    {
        SocketRole.Client or SocketRole.Pending or SocketRole.DatagramClient => Other,
        SocketRole.Server or SocketRole.Listener or SocketRole.DatagramServer => End,
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
        return socket.OtherEndInode is uint other ? inventory.Find(other) : null;
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

    /// <summary>The table's word for a role: a connection's ends, whatever their roles, are one `conn`.</summary>
    public static SocketKind KindOf(SocketRole role) => role switch
    {
        SocketRole.Listener => SocketKind.Listener,
        SocketRole.Client or SocketRole.Server or SocketRole.DatagramClient => SocketKind.Connection,
        SocketRole.Pending => SocketKind.Pending,
        SocketRole.Pair => SocketKind.Pair,
        SocketRole.DatagramServer or SocketRole.Bound => SocketKind.Bound,
        SocketRole.Closed => SocketKind.Closed,
        SocketRole.InFlight => SocketKind.InFlight,
        _ => SocketKind.Unconnected,
    };

    /// <summary>What <paramref name="s"/> is, with its ends ordered client first, as the engine decided its <see cref="UnixSocket.Role"/>.</summary>
    public static SocketView Classify(SocketInventory inventory, UnixSocket s)
    {
        var kind = KindOf(s.Role);
        switch (s.Role)
        {
            case SocketRole.InFlight:
            {
                UnixSocket? peer = Peer(inventory, s);
                return new SocketView { Socket = s, Kind = kind, End = s, Other = peer, OtherInode = s.InFlightOn, Relation = peer is null ? EndRelation.None : EndRelation.Mutual };
            }
            case SocketRole.Pending:
                return s.PendingOn is uint lis
                    ? new SocketView { Socket = s, Kind = kind, End = s, Other = inventory.Find(lis), OtherInode = lis, Relation = EndRelation.OneWay }
                    : new SocketView { Socket = s, Kind = kind, End = s, Relation = EndRelation.OneWay };
            case SocketRole.Client or SocketRole.Server or SocketRole.Pair or SocketRole.DatagramClient:
            {
                UnixSocket? peer = Peer(inventory, s);
                if (peer is null || peer.Peer != s.Inode)
                {
                    // The other end unseen, or not pointing back (a datagram client's server).
                    return new SocketView { Socket = s, Kind = kind, End = s, Other = peer, OtherInode = s.Peer, Relation = EndRelation.OneWay };
                }
                var (first, second) = s.Role == SocketRole.Server ? (peer, s) : (s, peer);
                return new SocketView { Socket = s, Kind = kind, End = first, Other = second, OtherInode = second.Inode, Relation = EndRelation.Mutual };
            }
            case SocketRole.Closed:
                return new SocketView { Socket = s, Kind = kind, End = s, OtherInode = s.Peer, Relation = EndRelation.OneWay };
            default:
                return new SocketView { Socket = s, Kind = kind, End = s };
        }
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
