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
    private const string Pair = """
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        r, w = os.pipe()
        if os.fork() == 0:
            a.close()
            child_report(w, child_pid=os.getpid(), b_fd=b.fileno())
            hold()
        rep = read_report(r)
        b_ino = ino(b)
        b.close()
        a.send(b"queued")
        ready(a=ino(a), a_fd=a.fileno(), b=b_ino, **rep)
        hold()
        """;

    [Fact]
    public void Library_joins_both_ends_across_the_fork()
    {
        using var scenario = Scenario.Start(Pair);
        var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.Current }).Read();

        var a = inventory.Find(scenario.Inode("a"))!;
        var b = inventory.Find(scenario.Inode("b"))!;
        Assert.Equal(UnixSocketType.Dgram, a.Type);
        Assert.Equal(UnixSocketType.Dgram, b.Type);
        Assert.Equal(b.Inode, a.Peer);
        Assert.Equal(a.Inode, b.Peer);
        Assert.Null(a.Name);
        Assert.Null(b.Name);
        Assert.Equal([new SocketHolder(scenario.Pid, scenario.Int("a_fd"))], a.Holders);
        Assert.Equal([new SocketHolder(scenario.Int("child_pid"), scenario.Int("b_fd"))], b.Holders);
        Assert.Equal(6u, b.RecvQueue); // for a datagram socket the kernel gives the first datagram's length ("queued")
    }

    [Fact]
    public void Cli_json_and_peer_show_each_end_as_the_other_s_peer()
    {
        using var scenario = Scenario.Start(Pair);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));
        var a = list.Socket(scenario.Inode("a"));
        var b = list.Socket(scenario.Inode("b"));
        Assert.Equal("dgram", a.GetProperty("type").GetString());
        Assert.Equal(scenario.Inode("b"), a.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("a"), b.NullableUInt("peer"));
        Assert.Equal([(scenario.Int("child_pid"), scenario.Int("b_fd"))], b.Holders());

        var peer = SockpeerCli.Json("peer", scenario.Pid.ToString(), scenario.Int("a_fd").ToString());
        Assert.Equal(scenario.Inode("a"), peer.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(scenario.Inode("b"), peer.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Contains((scenario.Int("child_pid"), scenario.Int("b_fd")), peer.GetProperty("peer").Holders());
    }
}
