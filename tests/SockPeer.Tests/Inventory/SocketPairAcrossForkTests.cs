using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>socketpair() then fork(): each process keeps one end.</summary>
public class SocketPairAcrossForkTests
{
    private static SocketScene PairAcrossFork() => SocketScene.Build()
        .Pair("pair", secondEndInChild: true)
        .Start();

    [Fact]
    public void Library_shows_each_end_held_by_its_own_process()
    {
        using var scene = PairAcrossFork();
        var (a, b) = scene.Pair("pair");
        var inventory = new SocketInventoryReader().Read();

        var aSocket = inventory.Find(a.Inode)!;
        var bSocket = inventory.Find(b.Inode)!;
        Assert.Equal([new SocketHolder(scene.Pid, a.Fd)], aSocket.Holders);
        Assert.Equal([new SocketHolder(b.Pid, b.Fd)], bSocket.Holders);
        Assert.Equal(bSocket.Inode, aSocket.Peer);
        Assert.Equal(aSocket.Inode, bSocket.Peer);
        Assert.True(aSocket.IsSocketPair);
        Assert.True(bSocket.IsSocketPair);
        Assert.Null(aSocket.NameBytes);
        Assert.Null(bSocket.NameBytes);
        Assert.Null(aSocket.File);
        Assert.Null(aSocket.Listener);
        Assert.Equal(UnixSocketType.Stream, aSocket.Type);
        Assert.Equal(UnixSocketState.Connected, bSocket.State);
    }

    [Fact]
    public void Cli_json_shows_each_end_held_by_its_own_process()
    {
        using var scene = PairAcrossFork();
        var (a, b) = scene.Pair("pair");
        var list = SockpeerCli.ListOf(scene.Pid);

        var aJson = list.Socket(a.Inode);
        var bJson = list.Socket(b.Inode);
        Assert.Equal([(scene.Pid, a.Fd)], aJson.Holders());
        Assert.Equal([(b.Pid, b.Fd)], bJson.Holders());
        Assert.Equal(b.Inode, aJson.NullableUInt("peer"));
        Assert.Equal(a.Inode, bJson.NullableUInt("peer"));
        foreach (var end in new[] { aJson, bJson })
        {
            Assert.True(end.Bool("socketpair"));
            Assert.Null(end.Str("name"));
            Assert.Null(end.Str("nameBytes"));
            Assert.False(end.Bool("abstract"));
        }
    }
}
