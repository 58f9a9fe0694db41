using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Cli;

public class WhoTests
{
    /// <summary>
    /// A listener in the parent; three clients, each in its own forked process. The first two are
    /// accepted (in connect order: the accept queue is FIFO), the third waits in the accept queue.
    /// </summary>
    private const string ListenerWithTwoConnectionsAndOnePending = """
        path = os.path.join(sys.argv[1], "who.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(8)
        r, w = os.pipe()
        clients = []
        for i in range(3):
            pid = os.fork()
            if pid == 0:
                srv.close()
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.connect(path)
                child_report(w, pid=os.getpid(), fd=c.fileno(), ino=ino(c))
                hold()
            clients.append(read_report(r))
        accepted = [srv.accept()[0] for _ in range(2)]
        ready(path=path, server_pid=os.getpid(), listener=ino(srv), listener_fd=srv.fileno(),
              accepted=[ino(a) for a in accepted], accepted_fd=[a.fileno() for a in accepted], clients=clients)
        hold()
        """;

    private sealed record End(int Pid, int Fd, uint Inode);

    private static (End Server, End Client)[] Connections(Scenario s)
    {
        var clients = s.Info.GetProperty("clients").EnumerateArray().ToArray();
        var accepted = s.Info.GetProperty("accepted").EnumerateArray().ToArray();
        var acceptedFd = s.Info.GetProperty("accepted_fd").EnumerateArray().ToArray();
        return Enumerable.Range(0, 2).Select(i => (
            new End(s.Int("server_pid"), acceptedFd[i].GetInt32(), accepted[i].GetUInt32()),
            ClientEnd(clients[i]))).ToArray();
    }

    private static End ClientEnd(JsonElement c) => new(c.GetProperty("pid").GetInt32(), c.GetProperty("fd").GetInt32(), c.GetProperty("ino").GetUInt32());

    private static End PendingClient(Scenario s) => ClientEnd(s.Info.GetProperty("clients")[2]);

    [Fact]
    public void Json_lists_the_listener_both_connections_with_both_ends_and_the_pending_client()
    {
        using var s = Scenario.Start(ListenerWithTwoConnectionsAndOnePending);
        var result = SockpeerCli.Run("who", s.Str("path"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "who");
        var doc = result.Json();

        Assert.Equal(s.Str("path"), doc.GetProperty("path").GetString());
        var listener = Assert.Single(doc.GetProperty("listeners").EnumerateArray());
        Assert.Equal(s.Inode("listener"), listener.GetProperty("inode").GetUInt32());
        Assert.Equal("listening", listener.GetProperty("state").GetString());
        Assert.Contains((s.Int("server_pid"), s.Int("listener_fd")), listener.Holders());
        Assert.Equal(1u, listener.NullableUInt("pendingCount"));
        Assert.Empty(doc.GetProperty("stale").EnumerateArray());

        var expected = Connections(s);
        var connections = doc.GetProperty("connections").EnumerateArray().ToArray();
        Assert.Equal(2, connections.Length);
        foreach (var (server, client) in expected)
        {
            var c = Assert.Single(connections, c => c.GetProperty("server").GetProperty("inode").GetUInt32() == server.Inode);
            var serverJson = c.GetProperty("server");
            var clientJson = c.GetProperty("client");
            Assert.Equal(JsonValueKind.Object, clientJson.ValueKind);
            Assert.Equal(client.Inode, clientJson.GetProperty("inode").GetUInt32());
            Assert.Equal(client.Inode, serverJson.NullableUInt("peer"));
            Assert.Equal(server.Inode, clientJson.NullableUInt("peer"));
            Assert.Equal(s.Inode("listener"), serverJson.NullableUInt("listener"));
            Assert.Contains((server.Pid, server.Fd), serverJson.Holders());
            Assert.Equal([(client.Pid, client.Fd)], clientJson.Holders());
        }

        var pendingClient = PendingClient(s);
        var pending = Assert.Single(doc.GetProperty("pending").EnumerateArray());
        Assert.Equal(pendingClient.Inode, pending.GetProperty("inode").GetUInt32());
        Assert.Equal(s.Inode("listener"), pending.NullableUInt("pendingOn"));
        Assert.Equal([(pendingClient.Pid, pendingClient.Fd)], pending.Holders());
        Assert.DoesNotContain(connections, c => c.GetProperty("client").ValueKind == JsonValueKind.Object
            && c.GetProperty("client").GetProperty("inode").GetUInt32() == pendingClient.Inode);

        var pids = doc.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToHashSet();
        Assert.Contains(s.Int("server_pid"), pids);
        foreach (var (_, client) in expected)
        {
            Assert.Contains(client.Pid, pids);
        }
        Assert.Contains(pendingClient.Pid, pids);
    }

    [Fact]
    public void Human_view_shows_the_listener_each_connection_on_one_line_and_the_pending_client()
    {
        using var s = Scenario.Start(ListenerWithTwoConnectionsAndOnePending);
        var result = SockpeerCli.Run("who", s.Str("path"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.DoesNotContain('\u001b', result.Stdout);
        var lines = result.Stdout.Split('\n');

        Assert.Contains(lines, l => l.StartsWith("listener", StringComparison.Ordinal) && l.Contains($"#{s.Inode("listener")} ", StringComparison.Ordinal)
            && l.Contains(s.Str("path"), StringComparison.Ordinal) && l.Contains("backlog 1/8", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"python3[{s.Int("server_pid")}]:{s.Int("listener_fd")}", StringComparison.Ordinal));
        Assert.Contains("connections: 2", lines);
        foreach (var (server, client) in Connections(s))
        {
            Assert.Contains(lines, l => l.Contains($"python3[{server.Pid}]:{server.Fd} #{server.Inode}", StringComparison.Ordinal)
                && l.Contains("<->", StringComparison.Ordinal)
                && l.Contains($"python3[{client.Pid}]:{client.Fd} #{client.Inode}", StringComparison.Ordinal));
        }
        Assert.Contains("pending: 1", lines);
        var pending = PendingClient(s);
        Assert.Contains(lines, l => l.Contains($"python3[{pending.Pid}]:{pending.Fd} #{pending.Inode}", StringComparison.Ordinal)
            && l.Contains("not accepted yet", StringComparison.Ordinal));
    }

    /// <summary>
    /// An older server still listens on a socket whose file was unlinked; a newer one bound the same
    /// path. The path reaches the newer one: it is the listener, the older one is "stale", and the
    /// older one's connection is not among the path's connections.
    /// </summary>
    [Fact]
    public void The_socket_the_path_reaches_now_is_told_apart_from_an_older_one_with_the_same_name()
    {
        using var s = Scenario.Start("""
            path = os.path.join(sys.argv[1], "rebound.sock")
            old = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            old.bind(path)
            old.listen(4)
            oc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            oc.connect(path)
            oa, _ = old.accept()
            os.unlink(path)
            new = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            new.bind(path)
            new.listen(4)
            nc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            nc.connect(path)
            na, _ = new.accept()
            ready(path=path, old=ino(old), old_accepted=ino(oa), old_client=ino(oc),
                  new=ino(new), new_accepted=ino(na), new_client=ino(nc))
            hold()
            """);
        var result = SockpeerCli.Run("who", s.Str("path"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        SchemaAssert.Valid(result.Stdout, "who");
        var doc = result.Json();

        var listener = Assert.Single(doc.GetProperty("listeners").EnumerateArray());
        Assert.Equal(s.Inode("new"), listener.GetProperty("inode").GetUInt32());
        Assert.Equal("ok", listener.GetProperty("file").GetProperty("status").GetString());
        var stale = Assert.Single(doc.GetProperty("stale").EnumerateArray());
        Assert.Equal(s.Inode("old"), stale.GetProperty("inode").GetUInt32());
        Assert.Equal("replaced", stale.GetProperty("file").GetProperty("status").GetString());
        var connection = Assert.Single(doc.GetProperty("connections").EnumerateArray());
        Assert.Equal(s.Inode("new_accepted"), connection.GetProperty("server").GetProperty("inode").GetUInt32());
        Assert.Equal(s.Inode("new_client"), connection.GetProperty("client").GetProperty("inode").GetUInt32());

        var human = SockpeerCli.Run("who", s.Str("path"));
        Assert.Equal(0, human.ExitCode);
        var lines = human.Stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("listener", StringComparison.Ordinal) && l.Contains($"#{s.Inode("new")} ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("older", StringComparison.Ordinal) && l.Contains($"#{s.Inode("old")} ", StringComparison.Ordinal)
            && l.Contains("(file replaced", StringComparison.Ordinal));
        Assert.Contains("connections: 1", lines);
        Assert.DoesNotContain($"#{s.Inode("old_accepted")}", human.Stdout);
    }
}
