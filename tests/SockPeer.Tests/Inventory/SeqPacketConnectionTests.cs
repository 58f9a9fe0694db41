using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>SOCK_SEQPACKET listener, accepted socket and client (in a child process): joined like stream.</summary>
public class SeqPacketConnectionTests
{
    private static SocketScene SeqPacket() => SocketScene.Build()
        .Listen("seq", type: SceneType.SeqPacket)
        .Connect("seq", heldBy: Holder.Child, accept: 1)
        .Start();

    [Fact]
    public void Library_joins_seqpacket_like_stream()
    {
        using var scene = SeqPacket();
        var conn = scene.Connection("seq");
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(scene.Inode("seq"))!;
        var accepted = inventory.Find(conn.Accepted!.Inode)!;
        var client = inventory.Find(conn.Client.Inode)!;
        Assert.All(new[] { listener, accepted, client }, s => Assert.Equal(UnixSocketType.SeqPacket, s.Type));
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal(UnixSocketState.Connected, accepted.State);
        Assert.Equal(UnixSocketState.Connected, client.State);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Equal(listener.Inode, accepted.Listener);
        Assert.Null(listener.Peer);
        Assert.Null(client.Listener);
        Assert.Empty(accepted.Clients);
        Assert.False(accepted.IsSocketPair);
        Assert.Equal(scene.Socket("seq").Path, accepted.Name);
        Assert.Equal(0u, listener.PendingCount);
        Assert.Equal(4u, listener.Backlog);
        Assert.Equal([new SocketHolder(scene.Pid, conn.Accepted!.Fd)], accepted.Holders);
        Assert.Equal([new SocketHolder(conn.Client.Pid, conn.Client.Fd)], client.Holders);
    }

    [Fact]
    public void Cli_json_joins_seqpacket_like_stream()
    {
        using var scene = SeqPacket();
        var conn = scene.Connection("seq");
        var list = SockpeerCli.ListOf(scene.Pid);

        var listener = list.Socket(scene.Inode("seq"));
        var accepted = list.Socket(conn.Accepted!.Inode);
        var client = list.Socket(conn.Client.Inode);
        Assert.All(new[] { listener, accepted, client }, s => Assert.Equal("seqpacket", s.Str("type")));
        Assert.Equal("listening", listener.Str("state"));
        Assert.Equal(conn.Client.Inode, accepted.NullableUInt("peer"));
        Assert.Equal(conn.Accepted!.Inode, client.NullableUInt("peer"));
        Assert.Equal(scene.Inode("seq"), accepted.NullableUInt("listener"));
        Assert.Equal([(conn.Client.Pid, conn.Client.Fd)], client.Holders());
    }
}
