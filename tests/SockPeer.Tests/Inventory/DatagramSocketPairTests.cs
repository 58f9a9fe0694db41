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
        var (a, b) = scene.Pair("pair");
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }).Read();

        var aSocket = inventory.Find(a.Inode)!;
        var bSocket = inventory.Find(b.Inode)!;
        Assert.Equal(UnixSocketType.Dgram, aSocket.Type);
        Assert.Equal(UnixSocketType.Dgram, bSocket.Type);
        Assert.Equal(bSocket.Inode, aSocket.Peer);
        Assert.Equal(aSocket.Inode, bSocket.Peer);
        Assert.Null(aSocket.Name);
        Assert.Null(bSocket.Name);
        Assert.Equal([new SocketHolder(scene.Pid, a.Fd)], aSocket.Holders);
        Assert.Equal([new SocketHolder(b.Pid, b.Fd)], bSocket.Holders);
        Assert.Equal(6u, bSocket.RecvQueue); // for a datagram socket the kernel gives the first datagram's length ("queued")
    }

    [Fact]
    public void Cli_json_and_peer_show_each_end_as_the_other_s_peer()
    {
        using var scene = Pair();
        var (a, b) = scene.Pair("pair");
        var list = SockpeerCli.ListOf(scene.Pid);
        var aJson = list.Socket(a.Inode);
        var bJson = list.Socket(b.Inode);
        Assert.Equal("dgram", aJson.GetProperty("type").GetString());
        Assert.Equal(b.Inode, aJson.NullableUInt("peer"));
        Assert.Equal(a.Inode, bJson.NullableUInt("peer"));
        Assert.Equal([(b.Pid, b.Fd)], bJson.Holders());

        var peer = SockpeerCli.Json("peer", scene.Pid.ToString(), a.Fd.ToString());
        Assert.Equal(a.Inode, peer.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(b.Inode, peer.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Contains((b.Pid, b.Fd), peer.GetProperty("peer").Holders());
    }
}
