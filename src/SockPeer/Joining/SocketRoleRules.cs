using SockPeer.Model;
using SockPeer.Netlink;

namespace SockPeer.Joining;

/// <summary>What the role rules need to know of one end of a socket, from its raw record and the indexes.</summary>
/// <param name="Inode">Socket inode.</param>
/// <param name="Named">It has a name (an accepted socket carries its listener's).</param>
/// <param name="Accepted">Its name is a live listener's: it was accepted from that listener.</param>
internal readonly record struct EndFacts(uint Inode, bool Named, bool Accepted);

/// <summary>
/// The one place that decides a socket's <see cref="SocketRole"/>, when the model is projected (and,
/// for a socket found to be in flight, when that is inferred). Every view reads the result; none
/// decides again.
/// <para>Which end of a stream or seqpacket connection is the server: the accepted end. The kernel
/// records it, because accept() gives the new socket the listener's address (NAME and VFS in
/// sock_diag): while the listener lives, the end whose name is a live listener's is the server; when
/// the listener has closed, the end that carries a name is the server and the unnamed one the client.
/// Only when both ends are named (a client that bound a name of its own before connecting) and the
/// listener is gone does nothing tell them apart; then the lower inode is taken as the client, a
/// convention that at least keeps one connection's roles stable across snapshots. Inode order is never
/// evidence of which end came first: inodes come from per-CPU batches.</para>
/// </summary>
internal static class SocketRoleRules
{
    /// <summary>The role of a socket that the in-flight inference did not mark.</summary>
    /// <param name="type">Socket type.</param>
    /// <param name="state">Kernel state.</param>
    /// <param name="self">This end.</param>
    /// <param name="peer">The peer's inode: 0 when it closed, null when none or unknown.</param>
    /// <param name="peerEnd">The peer's facts, when its record is in the dump (needed for stream and seqpacket connections only).</param>
    /// <param name="waitingToBeAccepted">A client in an accept queue (listed there, or connected with no server half yet).</param>
    /// <param name="socketPair">Both ends unnamed, each the other's peer.</param>
    /// <param name="hasDatagramClients">Other sockets name it as their peer without being named back.</param>
    /// <param name="peersKnown">sock_diag gave peers (false on the /proc/net/unix fallback).</param>
    public static SocketRole Decide(UnixSocketType type, UnixSocketState state, EndFacts self, uint? peer, EndFacts? peerEnd,
        bool waitingToBeAccepted, bool socketPair, bool hasDatagramClients, bool peersKnown)
    {
        if (state == UnixSocketState.Listening)
        {
            return SocketRole.Listener;
        }
        if (waitingToBeAccepted)
        {
            return SocketRole.Pending;
        }
        if (socketPair)
        {
            return SocketRole.Pair;
        }
        if (peer is 0)
        {
            return SocketRole.Closed;
        }
        if (peer is not null)
        {
            // A connected datagram socket sends to its peer, and only its peer may send to it.
            return type == UnixSocketType.Dgram ? SocketRole.DatagramClient
                : IsServerEnd(self, peerEnd) ? SocketRole.Server : SocketRole.Client;
        }
        if (type == UnixSocketType.Dgram)
        {
            return self.Named || hasDatagramClients ? SocketRole.DatagramServer : SocketRole.Unconnected;
        }
        if (!peersKnown && state == UnixSocketState.Connected)
        {
            // /proc/net/unix gives no peers, but an accepted socket still carries its listener's name.
            return IsServerEnd(self, null) ? SocketRole.Server : SocketRole.Client;
        }
        return self.Named || state == UnixSocketState.Connected ? SocketRole.Bound : SocketRole.Unconnected;
    }

    /// <summary>
    /// Whether a raw record reads as a client not accepted yet: a connected stream or seqpacket socket
    /// whose peer has no inode (the server half gets one at accept) and that is not shut down (a peer
    /// that closed also reads 0, with SHUTDOWN 3). The projection uses it for clients no listener's queue
    /// lists; the collection uses it to know whom to ask again (Collection/PendingRecheck).
    /// </summary>
    public static bool ReadsAsAwaitingAccept(UnixDiagRecord r)
        => r.HasPeer && r.Peer == 0 && (r.Shutdown & 3) != 3 && r.State == UnixDiagState.Established && r.Type != (byte)UnixSocketType.Dgram;

    /// <summary>The in-flight inference's finding: in flight outranks every other role.</summary>
    public static UnixSocket InFlight(UnixSocket socket, uint? queue) => socket with { InFlight = true, InFlightOn = queue, Role = SocketRole.InFlight };

    /// <summary>Whether <paramref name="self"/> is the accepted (server) end; antisymmetric, so two ends never get the same answer.</summary>
    private static bool IsServerEnd(EndFacts self, EndFacts? peer)
    {
        if (peer is not { } other)
        {
            return self.Accepted || self.Named;
        }
        if (self.Accepted != other.Accepted)
        {
            return self.Accepted;
        }
        if (self.Named != other.Named)
        {
            return self.Named;
        }
        return self.Inode > other.Inode;
    }
}
