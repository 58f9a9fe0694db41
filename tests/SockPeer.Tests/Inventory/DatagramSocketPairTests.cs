using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// socketpair(AF_UNIX, SOCK_DGRAM): two unnamed datagram sockets connected to each other, the second
/// end in a forked child. Unlike a datagram server's clients, each end's peer is the other.
/// </summary>
public class DatagramSocketPairTests
{
    private static SocketScene Pair() => SocketScene.Build()
        .Pair("pair", SceneType.Datagram, secondEndInChild: true)
        .Then("OBJ['pair.a'].send(b'queued')")
        .Start();

    [Fact]
    public void Library_joins_both_ends_across_the_fork()
    {
        using var scene = Pair();
        var ends = scene.Pair("pair");
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }).Read();

        var a = inventory.Find(ends.A.Inode)!;
        var b = inventory.Find(ends.B.Inode)!;
        Assert.Equal(UnixSocketType.Dgram, a.Type);
        Assert.Equal(UnixSocketType.Dgram, b.Type);
        Assert.Equal(b.Inode, a.Peer);
        Assert.Equal(a.Inode, b.Peer);
        Assert.Null(a.Name);
        Assert.Null(b.Name);
        Assert.Equal([new SocketHolder(scene.Pid, ends.A.Fd)], a.Holders);
        Assert.Equal([new SocketHolder(ends.B.Pid, ends.B.Fd)], b.Holders);
        Assert.Equal(6u, b.RecvQueue); // for a datagram socket the kernel gives the first datagram's length ("queued")
    }

    [Fact]
    public void Cli_json_and_peer_show_each_end_as_the_other_s_peer()
    {
        using var scene = Pair();
        var ends = scene.Pair("pair");
        var list = SockpeerCli.ListOf(scene.Pid);
        var a = list.Socket(ends.A.Inode);
        var b = list.Socket(ends.B.Inode);
        Assert.Equal("dgram", a.GetProperty("type").GetString());
        Assert.Equal(ends.B.Inode, a.NullableUInt("peer"));
        Assert.Equal(ends.A.Inode, b.NullableUInt("peer"));
        Assert.Equal([(ends.B.Pid, ends.B.Fd)], b.Holders());

        var peer = SockpeerCli.Json("peer", scene.Pid.ToString(), ends.A.Fd.ToString());
        Assert.Equal(ends.A.Inode, peer.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(ends.B.Inode, peer.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Contains((ends.B.Pid, ends.B.Fd), peer.GetProperty("peer").Holders());
    }
}
