using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Views;

namespace SockPeer.Diff;

/// <summary>One connection of a snapshot, seen from its client end.</summary>
/// <param name="Client">The end that connected (for a socketpair, the end with the lower inode).</param>
/// <param name="Server">The other end: the accepted socket, the datagram server, the pair's other end; null while the client waits to be accepted.</param>
/// <param name="Listener">The listener the client reached, when known.</param>
public sealed record SocketConnection(UnixSocket Client, UnixSocket? Server, UnixSocket? Listener);

/// <summary>
/// The connections and servers of one snapshot, as the diff compares them: read from each socket's
/// <see cref="UnixSocket.Role"/>, which the engine decided when it projected the snapshot.
/// </summary>
internal static class SocketRoles
{
    /// <summary>A listening stream/seqpacket socket or a datagram server: listen and unlisten events.</summary>
    public static bool IsListener(UnixSocket s) => s.Role.Serves();

    /// <summary>A client waiting in an accept queue.</summary>
    public static bool IsPending(UnixSocket s) => s.Role == SocketRole.Pending;

    /// <summary>
    /// The connection <paramref name="s"/> names (<see cref="UnixSocket.ConnectionClient"/> is its own
    /// inode), or null (not connected, the server end, or a peer this snapshot did not see). Stream and
    /// seqpacket ends must name each other.
    /// </summary>
    public static SocketConnection? ConnectionOf(SocketInventory inventory, UnixSocket s)
    {
        if (s.Role == SocketRole.Pending || s.ConnectionClient != s.Inode || s.Peer is not uint p || inventory.Find(p) is not { } peer)
        {
            return null;
        }
        if (s.Type != UnixSocketType.Dgram && peer.Peer != s.Inode)
        {
            return null; // a torn read the engine could not mend: not evidence of a connection
        }
        return new SocketConnection(s, peer, SocketViews.Listener(inventory, s));
    }

    /// <summary>The waiting client's connection (server null), or null when <paramref name="s"/> is not waiting.</summary>
    public static SocketConnection? PendingOf(SocketInventory inventory, UnixSocket s)
        => IsPending(s) ? new SocketConnection(s, null, s.PendingOn is uint l ? inventory.Find(l) : null) : null;
}
