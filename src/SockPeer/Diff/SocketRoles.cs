using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Diff;

/// <summary>One connection of a snapshot, seen from its client end.</summary>
/// <param name="Client">The end that connected (for a socketpair, the end with the lower inode).</param>
/// <param name="Server">The other end: the accepted socket, the datagram server, the pair's other end; null while the client waits to be accepted.</param>
/// <param name="Listener">The listener the client reached, when known.</param>
public sealed record SocketConnection(UnixSocket Client, UnixSocket? Server, UnixSocket? Listener);

/// <summary>
/// What part each socket of one snapshot plays: listener (or bound datagram server), client of a
/// connection, client waiting in an accept queue. The diff compares these roles, not raw fields.
/// </summary>
internal static class SocketRoles
{
    /// <summary>A listening stream/seqpacket socket, or a named datagram socket with no peer of its own (a server).</summary>
    public static bool IsListener(UnixSocket s)
        => s.State == UnixSocketState.Listening || (s.Type == UnixSocketType.Dgram && s.NameBytes is not null && s.Peer is null);

    /// <summary>A client waiting in an accept queue.</summary>
    public static bool IsPending(UnixSocket s) => s.PendingOn is not null || s.AwaitingAccept;

    /// <summary>
    /// The connection <paramref name="s"/> is the client end of, or null (not connected, the server end,
    /// or a peer this snapshot did not see). Stream and seqpacket ends must name each other.
    /// </summary>
    public static SocketConnection? ConnectionOf(SocketInventory inventory, UnixSocket s)
    {
        if (s.State == UnixSocketState.Listening || s.Peer is not uint p || p == 0 || inventory.Find(p) is not { } peer)
        {
            return null;
        }
        bool mutual = peer.Peer == s.Inode;
        if (s.Type != UnixSocketType.Dgram && !mutual)
        {
            return null; // a torn read the engine could not mend: not evidence of a connection
        }
        if (mutual && !IsClientEnd(s, peer))
        {
            return null;
        }
        UnixSocket? listener = (peer.Listener is uint l ? inventory.Find(l) : null) ?? (s.PendingOn is uint w ? inventory.Find(w) : null);
        return new SocketConnection(s, peer, listener);
    }

    /// <summary>The waiting client's connection (server null), or null when <paramref name="s"/> is not waiting.</summary>
    public static SocketConnection? PendingOf(SocketInventory inventory, UnixSocket s)
        => IsPending(s) ? new SocketConnection(s, null, s.PendingOn is uint l ? inventory.Find(l) : null) : null;

    /// <summary>
    /// Of two ends that name each other, which one connected: the end that was not accepted from a
    /// listener; failing that, the unnamed one (an accepted socket carries the listener's name); failing
    /// that (socketpairs), the lower inode. Stable across snapshots, so one connection keeps one client.
    /// </summary>
    private static bool IsClientEnd(UnixSocket s, UnixSocket peer)
    {
        if ((s.Listener is null) != (peer.Listener is null))
        {
            return s.Listener is null;
        }
        if ((s.NameBytes is null) != (peer.NameBytes is null))
        {
            return s.NameBytes is null;
        }
        return s.Inode < peer.Inode;
    }

    /// <summary>The kernel's test for a full accept queue: a listener admits limit + 1 clients, then connect() waits or fails with EAGAIN.</summary>
    public static bool IsBacklogFull(UnixSocket s) => s.PendingCount is uint n && s.Backlog is uint limit && n > limit;
}
