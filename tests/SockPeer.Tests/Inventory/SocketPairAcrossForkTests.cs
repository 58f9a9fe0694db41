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
        var ends = scene.Pair("pair");
        var inventory = new SocketInventoryReader().Read();

        var a = inventory.Find(ends.A.Inode)!;
        var b = inventory.Find(ends.B.Inode)!;
        Assert.Equal([new SocketHolder(scene.Pid, ends.A.Fd)], a.Holders);
        Assert.Equal([new SocketHolder(ends.B.Pid, ends.B.Fd)], b.Holders);
        Assert.Equal(b.Inode, a.Peer);
        Assert.Equal(a.Inode, b.Peer);
        Assert.True(a.IsSocketPair);
        Assert.True(b.IsSocketPair);
        Assert.Null(a.NameBytes);
        Assert.Null(b.NameBytes);
        Assert.Null(a.File);
        Assert.Null(a.Listener);
        Assert.Equal(UnixSocketType.Stream, a.Type);
        Assert.Equal(UnixSocketState.Connected, b.State);
    }

    [Fact]
    public void Cli_json_shows_each_end_held_by_its_own_process()
    {
        using var scene = PairAcrossFork();
        var ends = scene.Pair("pair");
        var list = SockpeerCli.ListOf(scene.Pid);

        var a = list.Socket(ends.A.Inode);
        var b = list.Socket(ends.B.Inode);
        Assert.Equal([(scene.Pid, ends.A.Fd)], a.Holders());
        Assert.Equal([(ends.B.Pid, ends.B.Fd)], b.Holders());
        Assert.Equal(ends.B.Inode, a.NullableUInt("peer"));
        Assert.Equal(ends.A.Inode, b.NullableUInt("peer"));
        foreach (var end in new[] { a, b })
        {
            Assert.True(end.Bool("socketpair"));
            Assert.Null(end.Str("name"));
            Assert.Null(end.Str("nameBytes"));
            Assert.False(end.Bool("abstract"));
        }
    }
}
