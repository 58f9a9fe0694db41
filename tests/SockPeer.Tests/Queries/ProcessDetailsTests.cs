using SockPeer.Inventory;
using SockPeer.Queries;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Queries;

/// <summary>
/// `peer` and `who` take the snapshot without process details and read only the holders they show:
/// the snapshot still has every holder (pid, fd), and <see cref="SocketInventoryReader.WithProcesses"/>
/// adds the details of the pids asked for, and of no other.
/// </summary>
public class ProcessDetailsTests
{
    private const string ClientServerAndBystander = """
        path = os.path.join(sys.argv[1], "server.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(8)
        r, w = os.pipe()
        if os.fork() == 0:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(path)
            child_report(w, client_pid=os.getpid(), client=ino(c))
            hold()
        rep = read_report(r)
        r2, w2 = os.pipe()
        if os.fork() == 0:
            srv.close()  # holds nothing the report shows
            a, b = socket.socketpair()
            child_report(w2, bystander_pid=os.getpid(), bystander=ino(a))
            hold()
        rep.update(read_report(r2))
        acc, _ = srv.accept()
        ready(server_pid=os.getpid(), accepted=ino(acc), **rep)
        hold()
        """;

    [Fact]
    public void Snapshot_without_details_keeps_holders_and_reads_only_the_pids_asked_for()
    {
        using var scenario = Scenario.Start(ClientServerAndBystander);
        var reader = new SocketInventoryReader(new InventoryOptions { ReadProcessDetails = false });
        var bare = reader.Read();

        Assert.Empty(bare.Processes);
        var client = bare.Find(scenario.Inode("client"))!;
        Assert.Contains(client.Holders, h => h.Pid == scenario.Int("client_pid"));
        Assert.Contains(bare.Find(scenario.Inode("bystander"))!.Holders, h => h.Pid == scenario.Int("bystander_pid"));

        var first = SocketQueries.Peer(bare, client);
        Assert.Empty(first.Processes);
        Assert.Equal(new[] { scenario.Int("server_pid"), scenario.Int("client_pid") }.Order(), first.HolderPids);

        var detailed = reader.WithProcesses(bare, first.HolderPids);
        var report = SocketQueries.Peer(detailed, client);
        Assert.Equal(first.HolderPids, report.Processes.Select(p => p.Pid));
        Assert.All(report.Processes, p => Assert.Equal("python3", p.Command));
        Assert.Equal(scenario.Int("server_pid"), detailed.FindProcess(scenario.Int("client_pid"))!.PPid);
        Assert.Null(detailed.FindProcess(scenario.Int("bystander_pid")));
        Assert.Same(bare.Sockets, detailed.Sockets);
        Assert.Equal(bare.Warnings, detailed.Warnings);
    }

    [Fact]
    public void Asking_again_for_pids_already_read_returns_the_same_snapshot()
    {
        using var scenario = Scenario.Start(ClientServerAndBystander);
        var reader = new SocketInventoryReader(new InventoryOptions { ReadProcessDetails = false });
        var detailed = reader.WithProcesses(reader.Read(), [scenario.Int("client_pid")]);

        Assert.Same(detailed, reader.WithProcesses(detailed, [scenario.Int("client_pid")]));
        Assert.Single(detailed.Processes);
    }

    [Fact]
    public void A_pid_that_is_gone_is_left_out()
    {
        using var scenario = Scenario.Start(ClientServerAndBystander);
        var reader = new SocketInventoryReader(new InventoryOptions { ReadProcessDetails = false });
        var detailed = reader.WithProcesses(reader.Read(), [int.MaxValue - 1, scenario.Int("server_pid")]);

        Assert.Equal([scenario.Int("server_pid")], detailed.Processes.Select(p => p.Pid));
    }
}
