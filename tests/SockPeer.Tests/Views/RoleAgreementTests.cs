using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Serve;
using Xunit;

namespace SockPeer.Tests.Views;

/// <summary>
/// Every view names the same client, server, listener and backlog state, and they are what the scene's
/// own processes did: `list --json`, the table, `peer` (human and JSON), `who`, `graph --format json`,
/// `watch --json` (polling and, where it loads, eBPF) and serve's `/metrics`. One real scene with each
/// kind of socket; the hard case is a connection whose listener has closed, made in both inode orders
/// (the client socket made on one CPU, the accepted one on the other: inodes come from per-CPU batches),
/// so that no rule based on inode order can pass.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class RoleAgreementTests : IDisposable
{
    private const string ServerComm = "rserver";
    private const string GoneClientComm = "rgoneclient";

    private readonly SocketScene _scene;
    private readonly string _pid;
    private readonly List<(SceneSocket Client, SceneSocket Server)> _gone;
    private readonly string _gonePath;

    public RoleAgreementTests()
    {
        _scene = SocketScene.Build()
            .Named(ServerComm)
            .Listen("live", backlog: 4)
            .Connect("live", 1, Holder.Child, accept: 1, comm: "rclient")
            .Connect("live", 1, Holder.Child, comm: "rwaiter")
            .Connect("live", 1, Holder.ChildInNewNetNs, accept: 1, comm: "rnsclient")
            .Listen("full", backlog: 1)
            .Connect("full", 2, Holder.Child, comm: "rfull")
            .Listen("room", backlog: 1)
            .Connect("room", 1, Holder.Child, comm: "rroom")
            .Bind("dg")
            .Connect("dg", 2, Holder.ChildEach, comm: "rdgclient")
            .Pair("pr", secondEndInChild: true)
            .Pair("carrier")
            .Pair("fl")
            .SendInFlight("carrier.a", "fl.b")
            .Then($$"""
                # Connections whose listener then closes, made in both inode orders: the client socket on
                # one CPU, the accepted socket on the other, then the other way round.
                gpath = os.path.join(sys.argv[1], "gone.sock")
                gl = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
                gl.bind(gpath)
                gl.listen(64)
                cpus = sorted(os.sched_getaffinity(0))
                made = []
                for i in range(8):
                    cc, sc = (cpus[0], cpus[-1]) if i % 2 == 0 else (cpus[-1], cpus[0])
                    os.sched_setaffinity(0, {cc})
                    c = track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
                    c.connect(gpath)
                    os.sched_setaffinity(0, {sc})
                    a, _ = gl.accept()
                    track(a)
                    made.append((c, a))
                os.sched_setaffinity(0, set(cpus))
                clients = [c for c, _ in made]
                def gone_clients():
                    set_comm("{{GoneClientComm}}")
                    return dict(clients=[held(c) for c in clients])
                rep = in_child(gone_clients, keep=clients)
                for c in clients:
                    c.close()
                gl.close()
                EXTRA["gone"] = [dict(client=cr, server=held(a)) for cr, (_, a) in zip(rep["clients"], made)]
                EXTRA["gonePath"] = gpath
                """)
            .Start();
        _pid = _scene.Pid.ToString(CultureInfo.InvariantCulture);
        var extra = _scene.Scenario.Info;
        _gone = [.. extra.GetProperty("gone").EnumerateArray().Select(g => (Read(g.GetProperty("client")), Read(g.GetProperty("server"))))];
        _gonePath = extra.GetProperty("gonePath").GetString()!;
    }

    public void Dispose() => _scene.Dispose();

    private static SceneSocket Read(JsonElement e) => new(
        e.GetProperty("pid").GetInt32(), e.GetProperty("fd").GetInt32(), e.GetProperty("inode").GetUInt32(), e.GetProperty("netns").GetUInt64());

    /// <summary>Every connection of the scene as its processes made it: (client, server, listener inode or null when it closed).</summary>
    private IEnumerable<(SceneSocket Client, SceneSocket Server, uint? Listener)> Connections()
    {
        uint live = _scene.Inode("live");
        foreach (var c in _scene.Connections("live").Where(c => c.Accepted is not null))
        {
            yield return (c.Client, c.Accepted!, live);
        }
        foreach (var (client, server) in _gone)
        {
            yield return (client, server, null);
        }
    }

    [Fact]
    public void The_scene_has_closed_listener_connections_in_both_inode_orders()
    {
        Assert.True(Environment.ProcessorCount >= 2, "the inode-order case needs two CPUs");
        Assert.Contains(_gone, g => g.Server.Inode < g.Client.Inode);
        Assert.Contains(_gone, g => g.Server.Inode > g.Client.Inode);
    }

    [Fact]
    public void List_json_gives_every_socket_the_role_its_process_made()
    {
        var doc = SockpeerCli.ListOf(_scene.Pid);
        var sockets = doc.GetProperty("sockets").EnumerateArray().ToDictionary(s => s.GetProperty("inode").GetUInt32());
        string Role(uint inode) => sockets.TryGetValue(inode, out var s) ? s.GetProperty("role").GetString()! : $"#{inode} not listed";

        foreach (var (client, server, _) in Connections())
        {
            Assert.Equal("client", Role(client.Inode));
            Assert.Equal("server", Role(server.Inode));
        }
        Assert.Equal("listener", Role(_scene.Inode("live")));
        Assert.Equal("pending", Role(_scene.Pending("live").Single().Inode));
        Assert.Equal("datagram-server", Role(_scene.Inode("dg")));
        Assert.All(_scene.Connections("dg"), c => Assert.Equal("datagram-client", Role(c.Client.Inode)));
        Assert.Equal("pair", Role(_scene.Inode("pr.a")));
        Assert.Equal("pair", Role(_scene.Inode("pr.b")));
        Assert.Equal("in-flight", Role(_scene.Inode("fl.b")));

        // The kernel's rule: backlog 1 admits two waiting clients; with two it is full, with one it is not.
        Assert.True(sockets[_scene.Inode("full")].GetProperty("backlogFull").GetBoolean());
        Assert.False(sockets[_scene.Inode("room")].GetProperty("backlogFull").GetBoolean());
        Assert.False(sockets[_scene.Inode("live")].GetProperty("backlogFull").GetBoolean());
        Assert.Equal(JsonValueKind.Null, sockets[_scene.Inode("dg")].GetProperty("backlogFull").ValueKind);
    }

    [Fact]
    public void The_backlog_state_is_what_a_real_connect_gets()
    {
        // Read before connecting: the connects below change the queues.
        var doc = SockpeerCli.ListOf(_scene.Pid);
        bool Full(string name) => doc.GetProperty("sockets").EnumerateArray()
            .Single(s => s.GetProperty("inode").GetUInt32() == _scene.Inode(name)).GetProperty("backlogFull").GetBoolean();
        var table = SockpeerCli.Run("list", "-w", "-p", _pid, "--state", "listen");
        Assert.Equal(0, table.ExitCode);
        string Row(string name) => table.Stdout.Split('\n').Single(l => l.Contains($"#{_scene.Inode(name)} ", StringComparison.Ordinal));

        foreach (var name in new[] { "full", "room" })
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
            SocketError result;
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(Path.Combine(_scene.Dir, name + ".sock")));
                result = SocketError.Success;
            }
            catch (SocketException e)
            {
                result = e.SocketErrorCode;
            }
            bool refused = result is SocketError.WouldBlock or SocketError.TryAgain;
            Assert.True(refused || result == SocketError.Success, $"connect to {name}: {result}");
            Assert.Equal(refused, Full(name));
            Assert.Equal(refused, Row(name).Contains("FULL", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_table_puts_each_client_first_and_its_server_second()
    {
        var table = SockpeerCli.Run("list", "-w", "-p", _pid);
        Assert.Equal(0, table.ExitCode);
        var lines = table.Stdout.Split('\n');
        foreach (var (client, server, _) in Connections())
        {
            string row = lines.Single(l => l.Contains($"#{client.Inode} ", StringComparison.Ordinal) || l.EndsWith($"#{client.Inode}", StringComparison.Ordinal));
            int c = row.IndexOf($"[{client.Pid}]:{client.Fd} #{client.Inode}", StringComparison.Ordinal);
            int arrow = row.IndexOf("<->", StringComparison.Ordinal);
            int s = row.IndexOf($"#{server.Inode}", StringComparison.Ordinal);
            Assert.True(c >= 0 && c < arrow && arrow < s, $"client #{client.Inode} then server #{server.Inode}: {row}");
        }
        var waiting = _scene.Pending("live").Single();
        string pendingRow = lines.Single(l => l.Contains($"#{waiting.Inode} ", StringComparison.Ordinal));
        Assert.Matches($@"#{waiting.Inode} +--> .*#{_scene.Inode("live")}\b", pendingRow);
    }

    [Fact]
    public void Peer_names_the_server_end_and_its_client_from_either_end()
    {
        foreach (var (client, server, listener) in Connections())
        {
            foreach (var (asked, other) in new[] { (server, client), (client, server) })
            {
                var doc = SockpeerCli.Document("peer", "peer", asked.Pid.ToString(CultureInfo.InvariantCulture), asked.Fd.ToString(CultureInfo.InvariantCulture));
                Assert.Equal(asked.Inode, doc.GetProperty("socket").GetProperty("inode").GetUInt32());
                Assert.Equal(other.Inode, doc.GetProperty("peer").GetProperty("inode").GetUInt32());
                Assert.Equal(asked == server ? "server" : "client", doc.GetProperty("socket").GetProperty("role").GetString());
                Assert.Equal(asked == server ? "client" : "server", doc.GetProperty("peer").GetProperty("role").GetString());
                var listenerDoc = doc.GetProperty("listener");
                Assert.Equal(listener, listenerDoc.ValueKind == JsonValueKind.Null ? null : listenerDoc.GetProperty("inode").GetUInt32());
            }
            var human = SockpeerCli.Run("peer", server.Pid.ToString(CultureInfo.InvariantCulture), server.Fd.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(0, human.ExitCode);
            var lines = human.Stdout.Split('\n');
            Assert.Contains("(server)", lines.Single(l => l.StartsWith("socket", StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.Contains("(client)", lines.Single(l => l.StartsWith("peer", StringComparison.Ordinal)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Who_lists_each_connection_with_its_server_and_client()
    {
        var doc = SockpeerCli.Who(Path.Combine(_scene.Dir, "live.sock"));
        var pairs = doc.GetProperty("connections").EnumerateArray()
            .Select(c => (Server: c.GetProperty("server").GetProperty("inode").GetUInt32(), Client: c.GetProperty("client").GetProperty("inode").GetUInt32()))
            .OrderBy(p => p.Server).ToList();
        var expected = Connections().Where(c => c.Listener is not null).Select(c => (Server: c.Server.Inode, Client: c.Client.Inode)).OrderBy(p => p.Server).ToList();
        Assert.Equal(expected, pairs);
        Assert.Equal([_scene.Pending("live").Single().Inode], doc.GetProperty("pending").EnumerateArray().Select(p => p.GetProperty("inode").GetUInt32()));
    }

    [Fact]
    public void Graph_draws_every_connection_from_its_client_process_to_its_server_process()
    {
        var doc = SockpeerCli.Document("graph", "graph", "--format", "json", "-p", _pid);
        var edges = doc.GetProperty("edges").EnumerateArray()
            .Select(e => (From: e.GetProperty("from").GetString(), To: e.GetProperty("to").GetString(), Name: e.GetProperty("name").GetString(),
                Kind: e.GetProperty("kind").GetString(), Count: e.GetProperty("connections").GetInt32()))
            .ToList();
        foreach (var group in Connections().GroupBy(c => (c.Client.Pid, c.Server.Pid, c.Listener is null)))
        {
            string name = group.Key.Item3 ? _gonePath : Path.Combine(_scene.Dir, "live.sock");
            var edge = edges.Single(e => e.From == $"p/{group.Key.Item1}" && e.To == $"p/{group.Key.Item2}" && e.Name == name && e.Kind == "connection");
            Assert.Equal(group.Count(), edge.Count);
            Assert.DoesNotContain(edges, e => e.From == $"p/{group.Key.Item2}" && e.To == $"p/{group.Key.Item1}" && e.Name == name);
        }
        var waiter = _scene.Pending("live").Single();
        Assert.Contains(edges, e => e.From == $"p/{waiter.Pid}" && e.To == $"p/{_scene.Pid}" && e.Kind == "pending");
    }

    [Theory]
    [InlineData("poll")]
    [InlineData("ebpf")]
    public void Watch_reports_each_existing_connection_from_its_client_end(string source)
    {
        var run = SockpeerCli.Run("watch", "--json", "--initial", "--source", source, "--duration", "1s", "-p", _pid);
        if (source == "ebpf" && run.ExitCode == 1 && run.Stderr.StartsWith("sockpeer:", StringComparison.Ordinal) && !Environment.IsPrivilegedProcess)
        {
            return; // the eBPF source needs root or CAP_BPF; the unprivileged run checks the polling source
        }
        Assert.True(run.ExitCode == 0, $"watch --source {source}: {run.Stderr}");
        var exists = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .Where(e => e.GetProperty("event").GetString() == "exists" && e.GetProperty("peer").ValueKind == JsonValueKind.Object)
            .ToDictionary(e => e.GetProperty("socket").GetProperty("inode").GetUInt32(), e => e.GetProperty("peer").GetProperty("inode").GetUInt32());
        foreach (var (client, server, _) in Connections())
        {
            Assert.True(exists.TryGetValue(client.Inode, out uint peer), $"no exists line from client #{client.Inode}");
            Assert.Equal(server.Inode, peer);
            Assert.False(exists.ContainsKey(server.Inode), $"server #{server.Inode} reported as a client");
        }
    }

    [Fact]
    public async Task Serve_counts_the_connections_of_a_closed_listener_under_its_server_and_client_programs()
    {
        using var serve = ServeProcess.Start([]);
        using var http = serve.Client();
        serve.WaitHealthy(http);
        string metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        string line = metrics.Split('\n').Single(l => l.StartsWith("sockpeer_unix_connections{", StringComparison.Ordinal)
            && l.Contains($"path=\"{_gonePath}\"", StringComparison.Ordinal));
        Assert.Contains($"server=\"{ServerComm}\"", line, StringComparison.Ordinal);
        Assert.Contains($"client=\"{GoneClientComm}\"", line, StringComparison.Ordinal);
        Assert.EndsWith($" {_gone.Count}", line, StringComparison.Ordinal);
    }
}
