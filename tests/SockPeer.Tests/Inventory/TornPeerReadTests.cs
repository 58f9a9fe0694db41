using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Tests.Netlink;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// A dump is not a snapshot, and churn runs caught both tears: unix_socketpair() sets ska's peer, then
/// skb's, then both states, with no lock sock_diag takes; and a client read before its connect()
/// finished while its accepted server half was read after. One end names the other, the other has no
/// peer. The inventory shows the connection the kernel has a moment later, and mends nothing else.
/// </summary>
public class TornPeerReadTests
{
    private static readonly byte[] ListenerName = Nl.Attr(UnixDiagAttribute.Name, "/run/x.sock"u8);

    private static SocketInventory Read(params Func<uint, byte[]>[] records)
    {
        var channel = new ScriptedDiagChannel().Reply(records).ReplyDone();
        var options = new InventoryOptions { Channels = new ScriptedChannelFactory(channel), ResolveHolders = false, CheckFiles = false };
        return new SocketInventoryReader(options).Read();
    }

    [Theory]
    [InlineData(UnixDiagState.Close, false)] // ska read between the two peer assignments
    [InlineData(UnixDiagState.Established, false)] // skb read before, ska after socketpair() returned
    [InlineData(UnixDiagState.Close, true)]
    [InlineData(UnixDiagState.Established, true)]
    public void A_stream_pair_read_half_made_is_shown_whole(byte namingState, bool namingFirst)
    {
        Func<uint, byte[]> naming = seq => Nl.Record(seq, 7001, state: namingState, peer: 7002);
        Func<uint, byte[]> bare = seq => Nl.Record(seq, 7002, state: UnixDiagState.Close);

        var inventory = namingFirst ? Read(naming, bare) : Read(bare, naming);

        var a = inventory.Find(7001)!;
        var b = inventory.Find(7002)!;
        Assert.Equal(7002u, a.Peer);
        Assert.Equal(7001u, b.Peer);
        Assert.True(a.IsSocketPair && b.IsSocketPair);
        Assert.Equal(UnixSocketState.Connected, a.State);
        Assert.Equal(UnixSocketState.Connected, b.State);
        Assert.Empty(a.Clients);
        Assert.Empty(b.Clients);
    }

    [Fact]
    public void Both_peers_set_before_the_states_is_a_connected_pair()
    {
        var inventory = Read(
            seq => Nl.Record(seq, 7001, state: UnixDiagState.Close, peer: 7002),
            seq => Nl.Record(seq, 7002, state: UnixDiagState.Close, peer: 7001));

        Assert.All([inventory.Find(7001)!, inventory.Find(7002)!], s =>
        {
            Assert.Equal(UnixSocketState.Connected, s.State);
            Assert.True(s.IsSocketPair);
        });
    }

    [Fact]
    public void A_datagram_pair_gets_its_peer_and_keeps_its_state()
    {
        var inventory = Read(
            seq => Nl.Record(seq, 7001, type: 2, state: UnixDiagState.Close, peer: 7002),
            seq => Nl.Record(seq, 7002, type: 2, state: UnixDiagState.Close));

        var b = inventory.Find(7002)!;
        Assert.Equal(7001u, b.Peer);
        Assert.True(b.IsSocketPair);
        Assert.Empty(b.Clients);
        Assert.Equal(UnixSocketState.Unconnected, b.State);
    }

    [Fact]
    public void A_named_datagram_server_with_an_unnamed_client_is_not_a_pair()
    {
        byte[] name = Nl.Attr(UnixDiagAttribute.Name, "\0srv"u8);
        var inventory = Read(
            seq => Nl.Record(seq, 7001, type: 2, state: UnixDiagState.Established, peer: 7002),
            seq => Nl.Record(seq, 7002, type: 2, state: UnixDiagState.Close, extra: [name]));

        var server = inventory.Find(7002)!;
        Assert.Null(server.Peer);
        Assert.Equal([7001u], server.Clients);
        Assert.False(inventory.Find(7001)!.IsSocketPair);
    }

    [Fact]
    public void An_end_that_names_a_third_socket_is_left_as_read()
    {
        var inventory = Read(
            seq => Nl.Record(seq, 7001, state: UnixDiagState.Established, peer: 7002),
            seq => Nl.Record(seq, 7002, state: UnixDiagState.Established, peer: 7003),
            seq => Nl.Record(seq, 7003, state: UnixDiagState.Established, peer: 7002));

        Assert.Equal(7003u, inventory.Find(7002)!.Peer);
        Assert.False(inventory.Find(7001)!.IsSocketPair);
    }

    [Fact]
    public void A_client_read_before_its_connect_finished_is_connected_to_its_accepted_half()
    {
        var inventory = Read(
            seq => Nl.Record(seq, 7001, state: UnixDiagState.Close),
            seq => Nl.Record(seq, 7002, state: UnixDiagState.Established, peer: 7001, extra: [ListenerName]));

        var client = inventory.Find(7001)!;
        Assert.Equal(7002u, client.Peer);
        Assert.Equal(UnixSocketState.Connected, client.State);
        Assert.False(client.IsSocketPair);
        Assert.Empty(inventory.Find(7002)!.Clients);
    }

    [Fact]
    public void A_client_read_while_it_waited_to_be_accepted_is_connected_to_its_accepted_half()
    {
        var inventory = Read(
            seq => Nl.Record(seq, 7001, state: UnixDiagState.Established, peer: 0),
            seq => Nl.Record(seq, 7002, state: UnixDiagState.Established, peer: 7001, extra: [ListenerName]));

        var client = inventory.Find(7001)!;
        Assert.Equal(7002u, client.Peer);
        Assert.False(client.AwaitingAccept);
    }

    [Fact]
    public void A_socket_whose_peer_closed_after_the_peer_was_read_stays_closed()
    {
        var inventory = Read(
            seq => Nl.Record(seq, 7002, state: UnixDiagState.Established, peer: 7001, extra: [ListenerName]),
            seq => Nl.Message(NetlinkMessageReader.TypeSockDiagByFamily, Nl.Multi, seq, Nl.DiagPayload(1, UnixDiagState.Established, 7001, 7001,
                Nl.Attr(UnixDiagAttribute.Peer, Nl.U32(0)), Nl.Attr(UnixDiagAttribute.Shutdown, [3]))));

        var survivor = inventory.Find(7001)!;
        Assert.Equal(0u, survivor.Peer);
        Assert.Equal(ShutdownState.Both, survivor.Shutdown);
    }
}
