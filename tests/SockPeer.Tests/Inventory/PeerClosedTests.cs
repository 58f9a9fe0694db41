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
    private const string OneSideCloses = """
        path = os.path.join(sys.argv[1], "closed.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(4)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        acc, _ = srv.accept()
        client = ino(c)
        c.close()
        a, b = socket.socketpair()
        twin = ino(b)
        b.close()
        ready(listener=ino(srv), accepted=ino(acc), accepted_fd=acc.fileno(), client=client,
              pair_end=ino(a), pair_end_fd=a.fileno(), twin=twin)
        hold()
        """;

    [Fact]
    public void Kernel_sends_peer_zero_and_shutdown_3_for_the_survivor()
    {
        using var scenario = Scenario.Start(OneSideCloses);
        using var channel = new KernelDiagChannelFactory().Open();
        var dump = new DiagDump();
        foreach (var name in new[] { "accepted", "pair_end" })
        {
            var record = dump.QueryOne(channel, scenario.Inode(name), ulong.MaxValue, UnixDiagShow.Peer, out Errno errno);
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
        using var scenario = Scenario.Start(OneSideCloses);
        var inventory = new SocketInventoryReader().Read();

        var accepted = inventory.Find(scenario.Inode("accepted"))!;
        Assert.Equal(0u, accepted.Peer);
        Assert.Equal(ShutdownState.Both, accepted.Shutdown);
        Assert.Equal(UnixSocketState.Connected, accepted.State);
        Assert.Equal(scenario.Inode("listener"), accepted.Listener);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("accepted_fd"))], accepted.Holders);

        var end = inventory.Find(scenario.Inode("pair_end"))!;
        Assert.Equal(0u, end.Peer);
        Assert.Equal(ShutdownState.Both, end.Shutdown);
        Assert.Equal(UnixSocketState.Connected, end.State);
        Assert.False(end.IsSocketPair);
        Assert.False(end.InFlight);

        Assert.Null(inventory.Find(scenario.Inode("client")));
        Assert.Null(inventory.Find(scenario.Inode("twin")));
    }

    [Fact]
    public void Cli_json_reports_peer_zero_and_both_directions_shut()
    {
        using var scenario = Scenario.Start(OneSideCloses);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        foreach (var name in new[] { "accepted", "pair_end" })
        {
            var s = list.Socket(scenario.Inode(name));
            Assert.Equal(0u, s.NullableUInt("peer"));
            Assert.Equal("both", s.Str("shutdown"));
            Assert.Equal("connected", s.Str("state"));
            Assert.False(s.Bool("socketpair"));
        }
        Assert.Equal(scenario.Inode("listener"), list.Socket(scenario.Inode("accepted")).NullableUInt("listener"));
        Assert.DoesNotContain(list.GetProperty("sockets").EnumerateArray(), s => s.GetProperty("inode").GetUInt32() == scenario.Inode("client"));
    }
}
