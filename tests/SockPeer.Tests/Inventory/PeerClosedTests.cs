using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>
/// Stream connections whose other end closed: an accepted socket whose client closed, and a socketpair
/// end whose twin closed. The kernel keeps PEER with value 0 and reports SHUTDOWN 3 (both directions)
/// on the survivor, whose state stays established.
/// </summary>
public class PeerClosedTests
{
    private static SocketScene OneSideCloses() => SocketScene.Build()
        .Listen("closed")
        .Connect("closed", accept: 1)
        .Close("closed.client0")
        .Pair("pair")
        .Close("pair.b")
        .Start();

    [Fact]
    public void Kernel_sends_peer_zero_and_shutdown_3_for_the_survivor()
    {
        using var scene = OneSideCloses();

        using var channel = new KernelDiagChannelFactory().Open();
        var dump = new DiagDump();
        foreach (var name in new[] { "closed.accepted0", "pair.a" })
        {
            var record = dump.QueryOne(channel, scene.Inode(name), ulong.MaxValue, UnixDiagShow.Peer, out Errno errno);
            Assert.True(record is not null, $"{name}: {errno}");
            Assert.True(record.HasPeer);
            Assert.Equal(0u, record.Peer);
            Assert.True(record.HasShutdown);
            Assert.Equal(3, record.Shutdown);
            Assert.Equal(UnixDiagState.Established, record.State);
        }
    }

    [Fact]
    public void Library_reports_peer_zero_and_both_directions_shut()
    {
        using var scene = OneSideCloses();

        var inventory = new SocketInventoryReader().Read();

        var accepted = inventory.Find(scene.Inode("closed.accepted0"))!;
        Assert.Equal(0u, accepted.Peer);
        Assert.Equal(ShutdownState.Both, accepted.Shutdown);
        Assert.Equal(UnixSocketState.Connected, accepted.State);
        Assert.Equal(scene.Inode("closed"), accepted.Listener);
        Assert.Equal([new SocketHolder(scene.Pid, scene.Socket("closed.accepted0").Fd)], accepted.Holders);

        var end = inventory.Find(scene.Inode("pair.a"))!;
        Assert.Equal(0u, end.Peer);
        Assert.Equal(ShutdownState.Both, end.Shutdown);
        Assert.Equal(UnixSocketState.Connected, end.State);
        Assert.False(end.IsSocketPair);
        Assert.False(end.InFlight);

        Assert.Null(inventory.Find(scene.Inode("closed.client0")));
        Assert.Null(inventory.Find(scene.Inode("pair.b")));
    }

    [Fact]
    public void Cli_json_reports_peer_zero_and_both_directions_shut()
    {
        using var scene = OneSideCloses();

        var list = SockpeerCli.ListOf(scene.Pid);

        foreach (var name in new[] { "closed.accepted0", "pair.a" })
        {
            var s = list.Socket(scene.Inode(name));
            Assert.Equal(0u, s.NullableUInt("peer"));
            Assert.Equal("both", s.Str("shutdown"));
            Assert.Equal("connected", s.Str("state"));
            Assert.False(s.Bool("socketpair"));
        }
        Assert.Equal(scene.Inode("closed"), list.Socket(scene.Inode("closed.accepted0")).NullableUInt("listener"));
        Assert.DoesNotContain(list.GetProperty("sockets").EnumerateArray(), s => s.GetProperty("inode").GetUInt32() == scene.Inode("closed.client0"));
    }
}
