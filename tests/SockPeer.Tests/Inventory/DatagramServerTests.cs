using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>A datagram server on a path, two connected clients in child processes, one unconnected socket.</summary>
public class DatagramServerTests
{
    private const string DatagramServer = """
        path = os.path.join(sys.argv[1], "dgram.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        srv.bind(path)
        r, w = os.pipe()
        kids = []
        for i in range(2):
            if os.fork() == 0:
                c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                c.connect(path)
                child_report(w, pid=os.getpid(), fd=c.fileno(), ino=ino(c))
                hold()
            kids.append(read_report(r))
        u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ready(path=path, server=ino(srv), server_fd=srv.fileno(),
              c1=kids[0]["ino"], c1_pid=kids[0]["pid"], c1_fd=kids[0]["fd"],
              c2=kids[1]["ino"], c2_pid=kids[1]["pid"], c2_fd=kids[1]["fd"],
              unconnected=ino(u), unconnected_fd=u.fileno())
        hold()
        """;

    [Fact]
    public void Library_points_clients_at_the_server_and_lists_them_on_it()
    {
        using var scenario = Scenario.Start(DatagramServer);
        var inventory = new SocketInventoryReader().Read();

        var server = inventory.Find(scenario.Inode("server"))!;
        var unconnected = inventory.Find(scenario.Inode("unconnected"))!;
        Assert.Equal(UnixSocketType.Dgram, server.Type);
        Assert.Null(server.Peer);
        Assert.Null(server.Listener);
        Assert.Equal(new[] { scenario.Inode("c1"), scenario.Inode("c2") }.Order(), server.Clients.Order());
        Assert.Equal(scenario.Str("path"), server.Name);
        Assert.Equal(SocketFileStatus.Ok, server.File!.Status);
        foreach (var c in new[] { "c1", "c2" })
        {
            var client = inventory.Find(scenario.Inode(c))!;
            Assert.Equal(UnixSocketType.Dgram, client.Type);
            Assert.Equal(UnixSocketState.Connected, client.State);
            Assert.Equal(server.Inode, client.Peer);
            Assert.Null(client.Listener);
            Assert.Empty(client.Clients);
            Assert.False(client.IsSocketPair);
            Assert.Equal([new SocketHolder(scenario.Int(c + "_pid"), scenario.Int(c + "_fd"))], client.Holders);
        }
        Assert.Equal(UnixSocketState.Unconnected, unconnected.State);
        Assert.Null(unconnected.Peer);
        Assert.Empty(unconnected.Clients);
        Assert.Equal([new SocketHolder(scenario.Int("pid"), scenario.Int("unconnected_fd"))], unconnected.Holders);
    }

    [Fact]
    public void Cli_json_lists_the_clients_on_the_server()
    {
        using var scenario = Scenario.Start(DatagramServer);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        var server = list.Socket(scenario.Inode("server"));
        Assert.Equal("dgram", server.Str("type"));
        Assert.Null(server.NullableUInt("peer"));
        Assert.Equal(new[] { scenario.Inode("c1"), scenario.Inode("c2") }.Order(), server.Inodes("clients").Order());
        Assert.Equal(scenario.Inode("server"), list.Socket(scenario.Inode("c1")).NullableUInt("peer"));
        Assert.Equal(scenario.Inode("server"), list.Socket(scenario.Inode("c2")).NullableUInt("peer"));
        var unconnected = list.Socket(scenario.Inode("unconnected"));
        Assert.Equal("unconnected", unconnected.Str("state"));
        Assert.Null(unconnected.NullableUInt("peer"));
    }

    [Fact]
    public void Who_lists_both_clients_as_connections_to_the_server()
    {
        using var scenario = Scenario.Start(DatagramServer);
        var who = SockpeerCli.Who(scenario.Str("path"));

        Assert.Equal([scenario.Inode("server")], who.GetProperty("listeners").InodesOf());
        Assert.Empty(who.GetProperty("stale").EnumerateArray());
        var connections = who.GetProperty("connections").EnumerateArray().ToArray();
        Assert.Equal(2, connections.Length);
        Assert.All(connections, c => Assert.Equal(scenario.Inode("server"), c.GetProperty("server").GetProperty("inode").GetUInt32()));
        Assert.Equal(new[] { scenario.Inode("c1"), scenario.Inode("c2") }.Order(),
            connections.Select(c => c.GetProperty("client").GetProperty("inode").GetUInt32()).Order());
        var pids = who.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToHashSet();
        Assert.Contains(scenario.Int("c1_pid"), pids);
        Assert.Contains(scenario.Int("c2_pid"), pids);
    }
}
