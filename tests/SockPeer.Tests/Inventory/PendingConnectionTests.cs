using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using Xunit;

namespace SockPeer.Tests.Inventory;

/// <summary>Three clients (in a child process) wait on a listener that never accepts.</summary>
public class PendingConnectionTests
{
    private const string NeverAccepts = """
        path = os.path.join(sys.argv[1], "pending.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(8)
        r, w = os.pipe()
        if os.fork() == 0:
            srv.close()
            cs = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
            for c in cs:
                c.connect(path)
            child_report(w, client_pid=os.getpid(), clients=[ino(c) for c in cs], client_fds=[c.fileno() for c in cs])
            hold()
        rep = read_report(r)
        ready(path=path, listener=ino(srv), listener_fd=srv.fileno(), **rep)
        hold()
        """;

    [Fact]
    public void Library_lists_the_waiting_clients_on_the_listener()
    {
        using var scenario = Scenario.Start(NeverAccepts);
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(scenario.Inode("listener"))!;
        uint[] clients = scenario.InodeArray("clients");
        Assert.Equal(3, clients.Distinct().Count());
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal(3u, listener.PendingCount);
        Assert.Equal(8u, listener.Backlog);
        Assert.False(listener.PendingPartial);
        Assert.Equal(clients.Order(), listener.Pending.Order());
        Assert.Null(listener.Peer);
        int[] fds = scenario.Info.GetProperty("client_fds").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        for (int i = 0; i < clients.Length; i++)
        {
            var client = inventory.Find(clients[i])!;
            Assert.Equal(listener.Inode, client.PendingOn);
            Assert.Null(client.Peer);
            Assert.Null(client.Listener);
            Assert.Equal(UnixSocketState.Connected, client.State);
            Assert.Equal([new SocketHolder(scenario.Int("client_pid"), fds[i])], client.Holders);
        }
    }

    [Fact]
    public void Cli_json_lists_the_waiting_clients_on_the_listener()
    {
        using var scenario = Scenario.Start(NeverAccepts);
        var list = SockpeerCli.ListOf(scenario.Int("pid"));

        var listener = list.Socket(scenario.Inode("listener"));
        uint[] clients = scenario.InodeArray("clients");
        Assert.Equal(3u, listener.NullableUInt("pendingCount"));
        Assert.Equal(8u, listener.NullableUInt("backlog"));
        Assert.False(listener.Bool("pendingPartial"));
        Assert.Equal(clients.Order(), listener.Inodes("pending").Order());
        foreach (uint c in clients)
        {
            var client = list.Socket(c);
            Assert.Equal(scenario.Inode("listener"), client.NullableUInt("pendingOn"));
            Assert.Null(client.NullableUInt("peer"));
        }
    }

    [Fact]
    public void Who_lists_the_waiting_clients_as_pending()
    {
        using var scenario = Scenario.Start(NeverAccepts);
        var who = SockpeerCli.Who(scenario.Str("path"));

        Assert.Equal([scenario.Inode("listener")], who.GetProperty("listeners").InodesOf());
        Assert.Empty(who.GetProperty("connections").EnumerateArray());
        Assert.Equal(scenario.InodeArray("clients").Order(), who.GetProperty("pending").InodesOf().Order());
    }
}
