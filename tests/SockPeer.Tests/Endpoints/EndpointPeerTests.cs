using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using Xunit;

namespace SockPeer.Tests.Endpoints;

/// <summary>`sockpeer peer PID FD` and `list --kind` on real pipes, FIFOs, ptys, TCP and UDP sockets held by separate processes.</summary>
public class EndpointPeerTests(EndpointScenario population) : IClassFixture<EndpointScenario>
{
    private Scenario S => population.Scenario;

    private int Child(string name) => S.Info.GetProperty(name).GetProperty("pid").GetInt32();

    private int ChildFd(string name) => S.Info.GetProperty(name).GetProperty("fd").GetInt32();

    private static JsonElement Peer(params string[] args)
    {
        var result = SockpeerCli.Run(["peer", .. args, "--json"]);
        Assert.True(result.ExitCode == 0, $"sockpeer peer {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        SchemaAssert.Valid(result.Stdout, "endpointPeer");
        return result.Json();
    }

    private static (int Pid, int Fd, string Access)[] Holders(JsonElement endpoint)
        => endpoint.GetProperty("holders").EnumerateArray()
            .Select(h => (h.GetProperty("pid").GetInt32(), h.GetProperty("fd").GetInt32(), h.GetProperty("access").GetString()!)).ToArray();

    [Fact]
    public void Pipe_between_two_processes_names_the_writer_and_the_reader()
    {
        var doc = Peer(Child("a").ToString(), ChildFd("a").ToString());
        Assert.Equal("pipe", doc.GetProperty("kind").GetString());
        var end = doc.GetProperty("endpoint");
        Assert.Equal("write", end.GetProperty("state").GetString());
        Assert.Equal([(Child("a"), ChildFd("a"), "write")], Holders(end));
        Assert.Equal([(Child("b"), ChildFd("b"), "read")], Holders(doc.GetProperty("peer")));
        Assert.Equal(JsonValueKind.Null, end.GetProperty("name").ValueKind);
        var pids = doc.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToArray();
        Assert.Contains(Child("b"), pids);
    }

    [Fact]
    public void Pipe_shared_by_a_forked_child_has_two_writers()
    {
        var doc = Peer(S.Pid.ToString(), S.Int("sharedRead").ToString());
        Assert.Equal("read", doc.GetProperty("endpoint").GetProperty("state").GetString());
        Assert.Equal(
            new[] { (S.Pid, S.Int("sharedWrite"), "write"), (Child("sharedChild"), S.Int("sharedWrite"), "write") }.OrderBy(h => h.Item1),
            Holders(doc.GetProperty("peer")));
    }

    [Fact]
    public void Fifo_with_one_reader_and_two_writers()
    {
        var doc = Peer(Child("reader").ToString(), ChildFd("reader").ToString());
        Assert.Equal("fifo", doc.GetProperty("kind").GetString());
        Assert.Equal(S.Str("fifo"), doc.GetProperty("endpoint").GetProperty("name").GetString());
        Assert.Equal([(Child("reader"), ChildFd("reader"), "read")], Holders(doc.GetProperty("endpoint")));
        Assert.Equal(
            new[] { (Child("w1"), ChildFd("w1"), "write"), (Child("w2"), ChildFd("w2"), "write") }.OrderBy(h => h.Item1),
            Holders(doc.GetProperty("peer")));

        var who = SockpeerCli.Run("who", S.Str("fifo"), "--json");
        Assert.Equal(0, who.ExitCode);
        SchemaAssert.Valid(who.Stdout, "endpointWho");
        var servers = who.Json().GetProperty("servers").EnumerateArray().ToArray();
        Assert.Equal(["write", "read"], servers.Select(e => e.GetProperty("state").GetString()));
        Assert.Equal(2, servers[0].GetProperty("holders").GetArrayLength());
    }

    [Fact]
    public void Pty_master_and_the_childs_slave()
    {
        var doc = Peer(S.Pid.ToString(), S.Int("master").ToString());
        Assert.Equal("pty", doc.GetProperty("kind").GetString());
        Assert.Equal("master", doc.GetProperty("endpoint").GetProperty("state").GetString());
        var peer = doc.GetProperty("peer");
        Assert.Equal("slave", peer.GetProperty("state").GetString());
        Assert.StartsWith("/dev/pts/", peer.GetProperty("name").GetString());
        var child = Holders(peer).Where(h => h.Pid == S.Int("ptyChild")).Select(h => h.Fd).ToArray();
        Assert.Equal([0, 1, 2], child);
        // the slave's own view gives the master back
        var back = Peer(S.Int("ptyChild").ToString(), "0");
        Assert.Equal([(S.Pid, S.Int("master"), "readwrite")], Holders(back.GetProperty("peer")));
    }

    [Theory]
    [InlineData("client4", "server4", "listen4", "127.0.0.1")]
    [InlineData("client6", "server6", "listen6", "[::1]")]
    public void Tcp_over_loopback_joins_client_server_and_listener(string client, string server, string listener, string host)
    {
        var doc = Peer(Child(client).ToString(), ChildFd(client).ToString());
        Assert.Equal("tcp", doc.GetProperty("kind").GetString());
        Assert.Equal("established", doc.GetProperty("endpoint").GetProperty("state").GetString());
        var peer = doc.GetProperty("peer");
        Assert.Equal([(S.Pid, S.Int(server), "readwrite")], Holders(peer));
        Assert.Equal($"{host}:{S.Int(client == "client4" ? "port4" : "port6")}", peer.GetProperty("name").GetString());
        Assert.Equal(S.Inode(listener), doc.GetProperty("listener").GetProperty("id").GetUInt64());
    }

    [Fact]
    public void Same_socket_asked_as_pid_fd_and_as_inode_gives_the_same_answer()
    {
        var byFd = Peer(S.Pid.ToString(), S.Int("server4").ToString());
        var byInode = Peer(S.Inode("server4Ino").ToString());
        Assert.Equal(S.Inode("server4Ino"), byFd.GetProperty("endpoint").GetProperty("id").GetUInt64());
        Assert.Equal(byFd.GetProperty("endpoint").GetRawText(), byInode.GetProperty("endpoint").GetRawText());
        Assert.Equal(byFd.GetProperty("peer").GetRawText(), byInode.GetProperty("peer").GetRawText());
    }

    [Fact]
    public void Listener_with_two_clients_pending()
    {
        var pending = S.Info.GetProperty("pending");
        int pid = pending.GetProperty("pid").GetInt32();
        int[] fds = pending.GetProperty("fds").EnumerateArray().Select(f => f.GetInt32()).ToArray();
        var doc = Peer(pid.ToString(), fds[0].ToString());
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("peer").ValueKind);
        var listener = doc.GetProperty("listener");
        Assert.Equal(S.Inode("pendingListener"), listener.GetProperty("id").GetUInt64());
        Assert.Equal(2u, listener.GetProperty("pending").GetUInt32());

        var list = SockpeerCli.Run("list", "--kind", "tcp", "--json");
        Assert.Equal(0, list.ExitCode);
        SchemaAssert.Valid(list.Stdout, "list");
        var waiting = list.Json().GetProperty("endpoints").EnumerateArray()
            .Where(c => c.GetProperty("listener").ValueKind == JsonValueKind.Object
                && c.GetProperty("listener").GetProperty("id").GetUInt64() == S.Inode("pendingListener")
                && c.GetProperty("ends").GetArrayLength() == 1)
            .Select(c => Holders(c.GetProperty("ends")[0])[0]).OrderBy(h => h.Fd).ToArray();
        Assert.Equal(fds.Select(fd => (pid, fd, "readwrite")), waiting);

        var who = SockpeerCli.Run("who", $"127.0.0.1:{S.Int("pendingPort")}", "--json");
        Assert.Equal(0, who.ExitCode);
        SchemaAssert.Valid(who.Stdout, "endpointWho");
        Assert.Equal(2, who.Json().GetProperty("endpoints").GetArrayLength());
    }

    [Fact]
    public void Connected_udp_pair()
    {
        var doc = Peer(Child("udpChild").ToString(), ChildFd("udpChild").ToString());
        Assert.Equal("udp", doc.GetProperty("kind").GetString());
        Assert.Equal("connected", doc.GetProperty("endpoint").GetProperty("state").GetString());
        Assert.Equal([(S.Pid, S.Int("udpServer"), "readwrite")], Holders(doc.GetProperty("peer")));
    }

    [Fact]
    public void Regular_file_has_no_other_end()
    {
        var result = SockpeerCli.Run("peer", S.Pid.ToString(), S.Int("regular").ToString());
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("sockpeer: ", lines[0]);
        Assert.Contains("regular file", lines[0]);
        Assert.Contains("plain.txt", lines[0]);
    }

    [Fact]
    public void Unix_peer_document_gains_kind_unix()
    {
        using var pair = SocketScene.Build().Pair("pair").Start();
        var result = SockpeerCli.Run("peer", pair.Pid.ToString(), pair.Socket("pair.a").Fd.ToString(), "--json");
        Assert.Equal(0, result.ExitCode);
        SchemaAssert.Valid(result.Stdout, "peer");
        Assert.Equal("unix", result.Json().GetProperty("kind").GetString());
    }

    [Fact]
    public void List_kind_all_shows_every_kind_in_the_human_view()
    {
        // This process holds no FIFO end (its children do): the FIFO is checked on its own, the rest by --pid.
        var fifos = SockpeerCli.Run("list", "--kind", "fifo");
        Assert.Equal(0, fifos.ExitCode);
        Assert.Contains(fifos.Stdout.Split('\n'), l => l.StartsWith("fifo ", StringComparison.Ordinal) && l.EndsWith(S.Str("fifo"), StringComparison.Ordinal));
        var result = SockpeerCli.Run("list", "--kind", "all", "--pid", S.Pid.ToString());
        Assert.Equal(0, result.ExitCode);
        foreach (string kind in new[] { "pipe ", "pty ", "tcp ", "udp " })
        {
            Assert.Contains(result.Stdout.Split('\n'), l => l.StartsWith(kind, StringComparison.Ordinal));
        }
        var unixOnly = SockpeerCli.Run("list", "--pid", S.Pid.ToString());
        Assert.DoesNotContain(unixOnly.Stdout.Split('\n'), l => l.StartsWith("pipe ", StringComparison.Ordinal));
    }
}
