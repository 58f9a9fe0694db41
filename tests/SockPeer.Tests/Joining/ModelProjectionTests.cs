using SockPeer.Collection;
using SockPeer.Joining;
using SockPeer.Model;
using SockPeer.Netlink;
using Xunit;
using static SockPeer.Tests.Joining.RawDumps;

namespace SockPeer.Tests.Joining;

/// <summary>The projection on hand-built dumps: order, namespace, pending state, mended marks.</summary>
public class ModelProjectionTests
{
    private static UnixSocket[] Project(RawDump dump)
        => ModelProjection.Project(dump, SocketIndexes.Build(dump), scan: null, SocketFileCheck.Disabled);

    [Fact]
    public void Sockets_come_out_ordered_by_inode_with_their_namespace_and_key()
    {
        var dump = new RawDump(
            [new RawSocket(Stream(30, peer: 10), 7), new RawSocket(Stream(10, peer: 30), 7), new RawSocket(Stream(20), 8)],
            ListenerQueues.None, [], peersKnown: true);

        var sockets = Project(dump);

        Assert.Equal([10u, 20u, 30u], sockets.Select(s => s.Inode));
        Assert.Equal(new SocketKey(7, 10, 1010), sockets[0].Key);
        Assert.Equal(8ul, sockets[1].NetNs);
        Assert.True(sockets[0].IsSocketPair);
    }

    [Fact]
    public void A_mended_socket_says_so_and_the_rest_do_not()
    {
        var mended = TornReadMending.Mend(Of(Stream(10, UnixDiagState.Close, peer: 11), Stream(11, UnixDiagState.Close), Stream(12, peer: 13), Stream(13, peer: 12)));

        var sockets = Project(mended);

        Assert.Equal([true, true, false, false], sockets.Select(s => s.PeerMended));
        Assert.Equal(UnixSocketState.Connected, sockets[1].State);
        Assert.Equal(10u, sockets[1].Peer);
    }

    [Fact]
    public void A_listener_lists_its_live_pending_clients_and_a_client_knows_it_waits()
    {
        var dump = Of(Listener(1, "/run/a.sock"u8.ToArray(), pending: 2, backlog: 5), Stream(2, peer: 0))
            .With(new Dictionary<uint, uint[]> { [1] = [2, 0] });

        var sockets = Project(dump);

        Assert.Equal([2u], sockets[0].Pending);
        Assert.Equal(2u, sockets[0].PendingCount);
        Assert.Equal(5u, sockets[0].Backlog);
        Assert.False(sockets[0].PendingPartial);
        Assert.Equal(1u, sockets[1].PendingOn);
        Assert.True(sockets[1].AwaitingAccept);
        Assert.Null(sockets[1].Peer);
    }

    [Fact]
    public void Without_peers_known_no_peer_is_claimed()
    {
        var dump = new RawDump([new RawSocket(Stream(10, peer: 11), null)], ListenerQueues.None, [], peersKnown: false);
        Assert.Null(Project(dump)[0].Peer);
    }
}
