using SockPeer.Collection;
using SockPeer.Joining;
using SockPeer.Netlink;
using Xunit;
using static SockPeer.Tests.Joining.RawDumps;

namespace SockPeer.Tests.Joining;

/// <summary>The mending pass on hand-built dumps: what it completes, what it leaves, and that it edits nothing in place.</summary>
public class TornReadMendingTests
{
    [Fact]
    public void A_half_made_pair_is_completed_in_new_records_marked_mended()
    {
        var dump = Of(Stream(10, UnixDiagState.Close, peer: 11), Stream(11, UnixDiagState.Close));

        var mended = TornReadMending.Mend(dump);

        Assert.NotSame(dump, mended);
        Assert.All(mended.Sockets, s =>
        {
            Assert.True(s.PeerMended);
            Assert.Equal(UnixDiagState.Established, s.Record.State);
        });
        Assert.Equal(10u, mended.Sockets[1].Record.Peer);
        // The input is untouched: its records still say what the kernel said.
        Assert.False(dump.Sockets[1].Record.HasPeer);
        Assert.Equal(UnixDiagState.Close, dump.Sockets[0].Record.State);
        Assert.All(dump.Sockets, s => Assert.False(s.PeerMended));
    }

    [Fact]
    public void A_whole_connection_is_left_as_it_is()
    {
        var dump = Of(Stream(10, peer: 11), Stream(11, peer: 10));
        Assert.Same(dump, TornReadMending.Mend(dump));
    }

    [Fact]
    public void A_closed_peer_is_not_mended_back_to_life()
    {
        // 11 was shut down both ways and reports peer 0: its peer closed, it was not read torn.
        var dump = Of(Stream(10, peer: 11), Stream(11, peer: 0, shutdown: 3));
        Assert.Same(dump, TornReadMending.Mend(dump));
    }

    [Fact]
    public void A_datagram_client_of_a_named_server_is_not_mended()
    {
        var server = new UnixDiagRecord { Type = 2, State = UnixDiagState.Close, Inode = 20, Name = "/run/log"u8.ToArray() };
        var client = new UnixDiagRecord { Type = 2, State = UnixDiagState.Established, Inode = 21, HasPeer = true, Peer = 20 };
        var dump = Of(server, client);
        Assert.Same(dump, TornReadMending.Mend(dump));
    }

    [Fact]
    public void Nothing_is_mended_when_peers_are_unknown()
    {
        var torn = Of(Stream(10, UnixDiagState.Close, peer: 11), Stream(11, UnixDiagState.Close));
        var fallback = new RawDump(torn.Sockets, ListenerQueues.None, [], peersKnown: false);
        Assert.Same(fallback, TornReadMending.Mend(fallback));
    }
}
