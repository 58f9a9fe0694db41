using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>A connected client socket inherited across fork(): one socket, two (pid, fd) holders.</summary>
public class ForkSharedClientTests
{
    // The parent connects and accepts, then forks; the child keeps only the client (same fd number).
    private const string SharedClient = """
        path = os.path.join(sys.argv[1], "server.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(4)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        acc, _ = srv.accept()
        r, w = os.pipe()
        if os.fork() == 0:
            srv.close()
            acc.close()
            child_report(w, child_pid=os.getpid(), child_client_fd=c.fileno())
            hold()
        rep = read_report(r)
        ready(listener=ino(srv), listener_fd=srv.fileno(), accepted=ino(acc), accepted_fd=acc.fileno(),
              client=ino(c), client_fd=c.fileno(), **rep)
        hold()
        """;

    private static HashSet<(int, int)> ClientHolders(Scenario s) =>
        [(s.Int("pid"), s.Int("client_fd")), (s.Int("child_pid"), s.Int("child_client_fd"))];

    [Fact]
    public void Library_lists_both_holders_and_the_accepted_peer()
    {
        using var scenario = Scenario.Start(SharedClient);
        var inventory = new SocketInventoryReader().Read();

        var client = inventory.Find(scenario.Inode("client"))!;
        var accepted = inventory.Find(scenario.Inode("accepted"))!;
        Assert.NotEqual(scenario.Int("pid"), scenario.Int("child_pid"));
        Assert.Equal(ClientHolders(scenario), client.Holders.Select(h => (h.Pid, h.Fd)).ToHashSet());
        Assert.Equal(2, client.Holders.Count);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(scenario.Inode("listener"), accepted.Listener);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("accepted_fd"))], accepted.Holders);
        Assert.False(client.IsSocketPair);
        Assert.Equal(UnixSocketState.Connected, client.State);
        Assert.NotNull(inventory.FindProcess(scenario.Int("child_pid")));
        Assert.Equal(scenario.Int("pid"), inventory.FindProcess(scenario.Int("child_pid"))!.PPid);
    }

    [Fact]
    public void Cli_json_lists_both_holders_and_the_accepted_peer()
    {
        using var scenario = Scenario.Start(SharedClient);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        var client = list.Socket(scenario.Inode("client"));
        var accepted = list.Socket(scenario.Inode("accepted"));
        Assert.Equal(ClientHolders(scenario), client.Holders());
        Assert.Equal(2, client.GetProperty("holders").GetArrayLength());
        Assert.Equal(scenario.Inode("accepted"), client.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("client"), accepted.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("listener"), accepted.NullableUInt("listener"));
        Assert.Equal([(scenario.Int("pid"), scenario.Int("accepted_fd"))], accepted.Holders());
        Assert.Contains(list.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == scenario.Int("child_pid"));
    }
}
