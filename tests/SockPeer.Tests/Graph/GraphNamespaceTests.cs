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
    /// <summary>
    /// A server in namespace a (its scene run through ip netns exec) that accepts and keeps every
    /// client, and one client scene in namespace b and one in a, connected to it by path.
    /// </summary>
    private sealed class AcrossTwoNamespaces : IDisposable
    {
        public AcrossTwoNamespaces(NamedNetNs a, NamedNetNs b)
        {
            Server = SocketScene.Build().As(["ip", "netns", "exec", a.Name]).Listen("srv", backlog: 8).AcceptForever("srv", closeEach: false).Start();
            FromB = SocketScene.Build().As(["ip", "netns", "exec", b.Name]).ConnectTo("client", Path).Start();
            FromA = SocketScene.Build().As(["ip", "netns", "exec", a.Name]).ConnectTo("client", Path).Start();
        }

        public SocketScene Server { get; }

        public SocketScene FromA { get; }

        public SocketScene FromB { get; }

        public string Path => Server.Socket("srv").Path!;

        public void Dispose()
        {
            FromA.Dispose();
            FromB.Dispose();
            Server.Dispose();
        }
    }

    /// <summary>Reads snapshots until both clients' connections were accepted (the server accepts in a thread).</summary>
    private static SocketInventory ReadAccepted(AcrossTwoNamespaces scenes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var inventory = new SocketInventoryReader(new InventoryOptions { NetNs = NetNsScope.All }).Read();
            bool accepted = new[] { scenes.FromA, scenes.FromB }.All(c =>
                inventory.Find(c.Inode("client")) is { Peer: uint p and not 0 } && inventory.Find(p)?.Listener == scenes.Server.Inode("srv"));
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
        using var scenes = new AcrossTwoNamespaces(a, b);
        Assert.Equal(a.Inode, scenes.Server.Socket("srv").NetNs);
        Assert.Equal(b.Inode, scenes.FromB.Socket("client").NetNs);

        var inventory = ReadAccepted(scenes);
        string path = scenes.Path;
        var graph = SocketGraphBuilder.Build(inventory, new GraphOptions { Include = s => s.Name == path });

        string server = $"p/{scenes.Server.Pid}", fromA = $"p/{scenes.FromA.Pid}", fromB = $"p/{scenes.FromB.Pid}";
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
