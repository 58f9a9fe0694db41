using SockPeer.Graph;
using SockPeer.Inventory;
using SockPeer.Tests.Infrastructure;
using SockPeer.Tests.Json;
using SockPeer.Tests.Namespaces;
using Xunit;

namespace SockPeer.Tests.Graph;

/// <summary>
/// Two "containers" (two named network namespaces, A and B): a server in A listens on a path in a
/// shared directory; a client in B and a client in A connect to it. The graph shows three process
/// nodes with their namespaces, and only B's edge crosses namespaces.
/// </summary>
public class GraphNamespaceTests
{
    private static string Script(string a, string b) => $$"""
        path = os.path.join(sys.argv[1], "srv.sock")
        srv = spawn(["ip", "netns", "exec", "{{a}}"], r'''
        import threading
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(sys.argv[1])
        s.listen(8)
        kept = []
        def serve():
            while True:
                c, _ = s.accept()
                kept.append(c)
        threading.Thread(target=serve, daemon=True).start()
        report(listener=ino(s))
        hold()
        ''', path)
        client = r'''
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(sys.argv[1])
        report(client=ino(c))
        hold()
        '''
        cb = spawn(["ip", "netns", "exec", "{{b}}"], client, path)
        ca = spawn(["ip", "netns", "exec", "{{a}}"], client, path)
        ready(path=path, listener=srv["listener"], server_pid=srv["pid"], server_ns=srv["netns"],
              b_pid=cb["pid"], b_ns=cb["netns"], b_client=cb["client"], a_pid=ca["pid"], a_ns=ca["netns"], a_client=ca["client"])
        hold()
        """;

    /// <summary>Reads snapshots until both clients' connections were accepted (the server accepts in a thread).</summary>
    private static SocketInventory ReadAccepted(Scenario scenario)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();
            bool accepted = new[] { "a_client", "b_client" }.All(c =>
                inventory.Find(scenario.Inode(c)) is { Peer: uint p and not 0 } && inventory.Find(p)?.Listener == scenario.Inode("listener"));
            if (accepted || DateTime.UtcNow > deadline)
            {
                return inventory;
            }
            Thread.Sleep(50);
        }
    }

    [SkippableFact]
    public void Two_namespaces_give_three_nodes_and_only_the_crossing_edge_is_marked()
    {
        Ns.RequireRoot();
        using var a = new NamedNetNs();
        using var b = new NamedNetNs();
        using var scenario = NsScripts.Start(Script(a.Name, b.Name));
        Assert.Equal(a.Inode, scenario.Info.GetProperty("server_ns").GetUInt64());
        Assert.Equal(b.Inode, scenario.Info.GetProperty("b_ns").GetUInt64());

        var inventory = ReadAccepted(scenario);
        string path = scenario.Str("path");
        var graph = SocketGraphBuilder.Build(inventory, new GraphOptions { Include = s => s.Name == path });

        string server = $"p/{scenario.Int("server_pid")}", fromA = $"p/{scenario.Int("a_pid")}", fromB = $"p/{scenario.Int("b_pid")}";
        Assert.Equal(new[] { server, fromA, fromB }.Order(StringComparer.Ordinal), graph.Nodes.Select(n => n.Id).Order(StringComparer.Ordinal));
        Assert.Equal(a.Inode, graph.Nodes.Single(n => n.Id == server).NetNs);
        Assert.Equal(a.Inode, graph.Nodes.Single(n => n.Id == fromA).NetNs);
        Assert.Equal(b.Inode, graph.Nodes.Single(n => n.Id == fromB).NetNs);
        Assert.Equal(2, graph.Edges.Count);
        var crossing = graph.Edges.Single(e => e.From == fromB);
        Assert.Equal((server, path, GraphEdgeKind.Connection, true), (crossing.To, crossing.Name, crossing.Kind, crossing.CrossNetNs));
        var local = graph.Edges.Single(e => e.From == fromA);
        Assert.Equal((server, path, GraphEdgeKind.Connection, false), (local.To, local.Name, local.Kind, local.CrossNetNs));

        // The command's JSON says the same, and its DOT draws the crossing edge red with the namespaces in the labels.
        var r = SockpeerCli.Run("graph", "--path", path, "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        SchemaAssert.Valid(r.Stdout, "graph");
        var edges = r.Json().GetProperty("edges").EnumerateArray().ToList();
        Assert.True(edges.Single(e => e.GetProperty("from").GetString() == fromB).GetProperty("crossNetns").GetBoolean());
        Assert.False(edges.Single(e => e.GetProperty("from").GetString() == fromA).GetProperty("crossNetns").GetBoolean());
        var dot = SockpeerCli.Run("graph", "--path", path);
        Assert.Contains($"\"{fromB}\" -> \"{server}\" [label=\"{path}\\n(across netns)\", color=\"#b22222\"", dot.Stdout);
        Assert.Contains($"netns {b.Inode}", dot.Stdout);
    }
}
