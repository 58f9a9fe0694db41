using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>socketpair() then fork(): each process keeps one end.</summary>
public class SocketPairAcrossForkTests
{
    private const string PairAcrossFork = """
        a, b = socket.socketpair()
        r, w = os.pipe()
        if os.fork() == 0:
            a.close()
            child_report(w, child_pid=os.getpid(), b_fd=b.fileno())
            hold()
        rep = read_report(r)
        ai, bi = ino(a), ino(b)
        b.close()
        ready(a=ai, a_fd=a.fileno(), b=bi, **rep)
        hold()
        """;

    [Fact]
    public void Library_shows_each_end_held_by_its_own_process()
    {
        using var scenario = Scenario.Start(PairAcrossFork);
        var inventory = new SocketInventoryReader().Read();

        var a = inventory.Find(scenario.Inode("a"))!;
        var b = inventory.Find(scenario.Inode("b"))!;
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("a_fd"))], a.Holders);
        Assert.Equal([new SocketHolder(scenario.Int("child_pid"), scenario.Int("b_fd"))], b.Holders);
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
        using var scenario = Scenario.Start(PairAcrossFork);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        var a = list.Socket(scenario.Inode("a"));
        var b = list.Socket(scenario.Inode("b"));
        Assert.Equal([(scenario.Int("pid"), scenario.Int("a_fd"))], a.Holders());
        Assert.Equal([(scenario.Int("child_pid"), scenario.Int("b_fd"))], b.Holders());
        Assert.Equal(scenario.Inode("b"), a.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("a"), b.NullableUInt("peer"));
        foreach (var end in new[] { a, b })
        {
            Assert.True(end.Bool("socketpair"));
            Assert.Null(end.Str("name"));
            Assert.Null(end.Str("nameBytes"));
            Assert.False(end.Bool("abstract"));
        }
    }
}
