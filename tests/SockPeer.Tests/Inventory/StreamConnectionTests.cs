using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Inventory;

public class StreamConnectionTests
{
    private const string ListenerWithClient = """
        path = os.path.join(sys.argv[1], "server.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(8)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(path)
            child_report(w, client_pid=os.getpid(), client_fd=c.fileno(), client=ino(c))
            hold()
        rep = read_report(r)
        acc, _ = srv.accept()
        ready(path=path, server_pid=os.getpid(), listener=ino(srv), listener_fd=srv.fileno(),
              accepted=ino(acc), accepted_fd=acc.fileno(), **rep)
        hold()
        """;

    [Fact]
    public void Library_joins_listener_accepted_and_client()
    {
        using var scenario = Scenario.Start(ListenerWithClient);
        var inventory = new SocketInventoryReader().Read();

        var listener = inventory.Find(scenario.Inode("listener"))!;
        var accepted = inventory.Find(scenario.Inode("accepted"))!;
        var client = inventory.Find(scenario.Inode("client"))!;
        Assert.Equal(UnixSocketState.Listening, listener.State);
        Assert.Equal(UnixSocketState.Connected, accepted.State);
        Assert.Equal(client.Inode, accepted.Peer);
        Assert.Equal(accepted.Inode, client.Peer);
        Assert.Equal(listener.Inode, accepted.Listener);
        Assert.Null(client.Listener);
        Assert.Equal(SocketFileStatus.Ok, listener.File!.Status);
        Assert.Equal(scenario.Str("path"), listener.Name);
        Assert.Contains(new SocketHolder(scenario.Int("server_pid"), scenario.Int("accepted_fd")), accepted.Holders);
        Assert.Contains(new SocketHolder(scenario.Int("client_pid"), scenario.Int("client_fd")), client.Holders);
        Assert.NotNull(inventory.FindProcess(scenario.Int("client_pid")));
        Assert.Equal("python3", inventory.FindProcess(scenario.Int("client_pid"))!.Command);
    }

    [Fact]
    public void Cli_json_reports_the_same_connection_and_matches_the_schema()
    {
        using var scenario = Scenario.Start(ListenerWithClient);
        var result = SockpeerCli.Run("list", "--json");
        Assert.Equal(0, result.ExitCode);
        SchemaAssert.Valid(result.Stdout, "list");
        var list = result.Json();

        var accepted = list.Socket(scenario.Inode("accepted"));
        var client = list.Socket(scenario.Inode("client"));
        Assert.Equal(scenario.Inode("client"), accepted.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("accepted"), client.NullableUInt("peer"));
        Assert.Equal(scenario.Inode("listener"), accepted.NullableUInt("listener"));
        Assert.Equal("ok", list.Socket(scenario.Inode("listener")).GetProperty("file").GetProperty("status").GetString());
        Assert.Contains((scenario.Int("client_pid"), scenario.Int("client_fd")), client.Holders());
    }

    [Fact]
    public void Peer_by_pid_fd_names_the_server_process()
    {
        using var scenario = Scenario.Start(ListenerWithClient);
        var result = SockpeerCli.Run("peer", scenario.Int("client_pid").ToString(), scenario.Int("client_fd").ToString(), "--json");
        Assert.Equal(0, result.ExitCode);
        SchemaAssert.Valid(result.Stdout, "peer");
        var doc = result.Json();
        Assert.Equal(scenario.Inode("client"), doc.GetProperty("socket").GetProperty("inode").GetUInt32());
        Assert.Equal(scenario.Inode("accepted"), doc.GetProperty("peer").GetProperty("inode").GetUInt32());
        Assert.Equal(scenario.Inode("listener"), doc.GetProperty("listener").GetProperty("inode").GetUInt32());
        Assert.Contains((scenario.Int("server_pid"), scenario.Int("accepted_fd")), doc.GetProperty("peer").Holders());
        Assert.Contains(doc.GetProperty("processes").EnumerateArray(), p => p.GetProperty("pid").GetInt32() == scenario.Int("server_pid"));

        var human = SockpeerCli.Run("peer", $"socket:[{scenario.Inode("client")}]");
        Assert.Equal(0, human.ExitCode);
        Assert.Contains($"python3[{scenario.Int("server_pid")}]:{scenario.Int("accepted_fd")}", human.Stdout);
    }
}
