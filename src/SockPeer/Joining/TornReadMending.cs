using SockPeer.Collection;
using SockPeer.Model;
using SockPeer.Netlink;

namespace SockPeer.Joining;

/// <summary>
/// Mends connections the dump read torn. A dump is not a snapshot: one end of a connection can be
/// read before it was connected (or, for a client waiting to be accepted, before its server half had
/// an inode) and the other end after. unix_socketpair() even sets the two peers, then the two states,
/// with no lock sock_diag takes. A stream or seqpacket peer is set for both ends at once and stays
/// while both are in the table, so when one end names the other, the other's peer is the first: the
/// view shows that, not the torn read. A datagram peer is one-way; only an unnamed one (which only
/// socketpair() makes) is mended. Returns new records marked <see cref="RawSocket.PeerMended"/>; the
/// input is not changed.
/// </summary>
internal static class TornReadMending
{
    /// <summary>The dump with torn ends completed; the same dump when peers are unknown (the /proc fallback) or nothing was torn.</summary>
    public static RawDump Mend(RawDump dump)
    {
        if (!dump.PeersKnown)
        {
            return dump;
        }
        RawSocket[]? mended = null;
        var sockets = dump.Sockets;
        for (int i = 0; i < sockets.Count; i++)
        {
            // Later ends see the earlier mends, as one pass over the dump would.
            var r = (mended is null ? sockets[i] : mended[i]).Record;
            if (!r.HasPeer || r.Peer == 0 || r.State == UnixDiagState.Listen || !dump.Index.TryGetValue(r.Peer, out int pi) || pi == i)
            {
                continue;
            }
            var p = (mended is null ? sockets[pi] : mended[pi]).Record;
            if (p.Type != r.Type || p.State == UnixDiagState.Listen || (p.HasPeer && p.Peer != r.Inode && p.Peer != 0))
            {
                continue;
            }
            bool stream = r.Type != (byte)UnixSocketType.Dgram;
            if (!stream && (r.Name is not null || p.Name is not null))
            {
                continue; // a datagram client of a named server
            }
            bool peerless = !p.HasPeer || (p.Peer == 0 && stream && (p.Shutdown & 3) != 3);
            if (peerless || (stream && p.State == UnixDiagState.Close))
            {
                mended ??= [.. sockets];
                mended[pi] = mended[pi] with { Record = Connected(p, r.Inode, stream), PeerMended = true };
            }
            if (stream && r.State == UnixDiagState.Close)
            {
                mended ??= [.. sockets];
                mended[i] = mended[i] with { Record = Connected(r, r.Peer, stream), PeerMended = true };
            }
        }
        return mended is null ? dump : dump.WithSockets(mended);
    }

    private static UnixDiagRecord Connected(UnixDiagRecord r, uint peer, bool stream)
        => r with { HasPeer = true, Peer = peer, State = stream ? UnixDiagState.Established : r.State };
}
