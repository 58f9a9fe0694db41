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
    /// <summary>A client in a child, accepted by the server, and a bystander child that holds one end of an unrelated socketpair.</summary>
    private static SocketScene ClientServerAndBystander() => SocketScene.Build()
        .Listen("server", backlog: 8)
        .Connect("server", heldBy: Holder.Child)
        .Pair("bystander", secondEndInChild: true)
        .Accept("server")
        .Start();

    [Fact]
    public void Snapshot_without_details_keeps_holders_and_reads_only_the_pids_asked_for()
    {
        using var scene = ClientServerAndBystander();
        var (clientEnd, _) = scene.Connection("server");
        var bystander = scene.Pair("bystander").B;
        var reader = new SocketInventoryReader(new InventoryOptions { ReadProcessDetails = false });
        var bare = reader.Read();

        Assert.Empty(bare.Processes);
        var client = bare.Find(clientEnd.Inode)!;
        Assert.Contains(client.Holders, h => h.Pid == clientEnd.Pid);
        Assert.Contains(bare.Find(bystander.Inode)!.Holders, h => h.Pid == bystander.Pid);

        var first = SocketQueries.Peer(bare, client);
        Assert.Empty(first.Processes);
        Assert.Equal(new[] { scene.Pid, clientEnd.Pid }.Order(), first.HolderPids);

        var detailed = reader.WithProcesses(bare, first.HolderPids);
        var report = SocketQueries.Peer(detailed, client);
        Assert.Equal(first.HolderPids, report.Processes.Select(p => p.Pid));
        Assert.All(report.Processes, p => Assert.Equal("python3", p.Command));
        Assert.Equal(scene.Pid, detailed.FindProcess(clientEnd.Pid)!.PPid);
        Assert.Null(detailed.FindProcess(bystander.Pid));
        Assert.Same(bare.Sockets, detailed.Sockets);
        Assert.Equal(bare.Warnings, detailed.Warnings);
    }

    [SkippableFact]
    public void Reading_more_processes_while_a_namespace_is_named_elsewhere_keeps_the_socket_list()
    {
        // A name under /run/netns for a namespace none of these sockets is in: naming again after the
        // details are read changes nothing, so the list is the same one (it once was copied whenever any
        // namespace had a name, which made the test above fail while other tests mounted one).
        Skip.IfNot(SockPeer.Tests.Namespaces.Ns.IsRoot, "needs root to mount a named network namespace");
        using var named = new SockPeer.Tests.Namespaces.NamedNetNs();
        using var scene = ClientServerAndBystander();
        var (clientEnd, _) = scene.Connection("server");
        var reader = new SocketInventoryReader(new InventoryOptions { ReadProcessDetails = false });
        var bare = reader.Read();

        var detailed = reader.WithProcesses(bare, [scene.Pid, clientEnd.Pid]);

        Assert.NotEmpty(detailed.Processes);
        Assert.Same(bare.Sockets, detailed.Sockets);
    }

    [Fact]
    public void Asking_again_for_pids_already_read_returns_the_same_snapshot()
    {
        using var scene = ClientServerAndBystander();
        var (clientEnd, _) = scene.Connection("server");
        var bystander = scene.Pair("bystander").B;
        var reader = new SocketInventoryReader(new InventoryOptions { ReadProcessDetails = false });
        var detailed = reader.WithProcesses(reader.Read(), [clientEnd.Pid]);

        Assert.Same(detailed, reader.WithProcesses(detailed, [clientEnd.Pid]));
        Assert.Single(detailed.Processes);
    }

    [Fact]
    public void A_pid_that_is_gone_is_left_out()
    {
        using var scene = ClientServerAndBystander();
        var (clientEnd, _) = scene.Connection("server");
        var bystander = scene.Pair("bystander").B;
        var reader = new SocketInventoryReader(new InventoryOptions { ReadProcessDetails = false });
        var detailed = reader.WithProcesses(reader.Read(), [int.MaxValue - 1, scene.Pid]);

        Assert.Equal([scene.Pid], detailed.Processes.Select(p => p.Pid));
    }
}
