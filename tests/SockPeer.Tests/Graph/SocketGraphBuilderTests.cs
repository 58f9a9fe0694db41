using SockPeer.Graph;
using SockPeer.Model;
using Xunit;

namespace SockPeer.Tests.Graph;

/// <summary>Which nodes and edges the builder makes of the hand-built snapshot in <see cref="GraphFixtures"/>.</summary>
public class SocketGraphBuilderTests
{
    private static readonly SocketGraph ByProcess = SocketGraphBuilder.Build(GraphFixtures.Inventory());

    private static GraphEdge Edge(SocketGraph g, string from, string to, GraphEdgeKind kind = GraphEdgeKind.Connection)
    {
        var edges = g.Edges.Where(e => e.From == from && e.To == to && e.Kind == kind).ToList();
        Assert.True(edges.Count == 1, $"expected one {kind} edge {from} -> {to}; edges: {string.Join("; ", g.Edges.Select(e => $"{e.From}->{e.To} {e.Kind} {e.Name}"))}");
        return edges[0];
    }

    [Fact]
    public void Two_accepted_connections_from_one_process_are_one_edge_of_two()
    {
        var e = Edge(ByProcess, "p/200", "p/100");
        Assert.Equal("/run/a \"b\"\\\\c&d.sock", e.Name);
        Assert.Equal([new GraphConnection(1011, 1001), new GraphConnection(1012, 1002)], e.Connections);
        Assert.False(e.CrossNetNs);
    }

    [Fact]
    public void A_pending_client_points_at_the_listener()
    {
        var e = Edge(ByProcess, "p/500", "p/100", GraphEdgeKind.Pending);
        Assert.Equal([new GraphConnection(1020, 1000)], e.Connections);
        Assert.Equal(ByProcess.Edges.Single(x => x.From == "p/200" && x.To == "p/100").Name, e.Name);
    }

    [Fact]
    public void A_fork_shared_client_gives_one_edge_from_each_holder()
    {
        var fromParent = Edge(ByProcess, "p/300", "p/100");
        var fromChild = Edge(ByProcess, "p/301", "p/100");
        Assert.Equal("/tmp/caf\\xe9\\xff.sock", fromParent.Name);
        Assert.Equal([new GraphConnection(1111, 1101)], fromParent.Connections);
        Assert.Equal(fromParent.Connections, fromChild.Connections);
    }

    [Fact]
    public void A_client_in_another_network_namespace_is_marked_and_only_it()
    {
        var e = Edge(ByProcess, "p/700", "p/100");
        Assert.Equal("@dbus\\x00x@y\"}", e.Name);
        Assert.True(e.CrossNetNs);
        Assert.Single(ByProcess.Edges, x => x.CrossNetNs);
    }

    [Fact]
    public void Datagram_clients_point_at_the_server_they_send_to()
    {
        Assert.Equal([new GraphConnection(1411, 1400)], Edge(ByProcess, "p/200", "p/600").Connections);
        Assert.Equal([new GraphConnection(1412, 1400)], Edge(ByProcess, "p/800", "p/600").Connections);
    }

    [Fact]
    public void A_socketpair_is_one_undirected_edge_and_an_end_in_flight_meets_the_unknown_node()
    {
        var pair = Edge(ByProcess, "p/100", "p/400", GraphEdgeKind.Pair);
        Assert.Equal(SocketGraphBuilder.PairName, pair.Name);
        Assert.Equal([new GraphConnection(1501, 1500)], pair.Connections);
        var inFlight = Edge(ByProcess, SocketGraphBuilder.UnknownNodeId, "p/400", GraphEdgeKind.Pair);
        Assert.Equal([new GraphConnection(1601, 1600)], inFlight.Connections);
        Assert.Equal(GraphNodeKind.Unknown, ByProcess.Nodes.Single(n => n.Id == SocketGraphBuilder.UnknownNodeId).Kind);
    }

    [Fact]
    public void Nodes_carry_label_user_container_netns_idle_listeners_and_sockets()
    {
        Assert.Equal(["p/100", "p/200", "p/300", "p/301", "p/400", "p/500", "p/600", "p/700", "p/800", "?"], ByProcess.Nodes.Select(n => n.Id));
        var server = ByProcess.Nodes.Single(n => n.Id == "p/100");
        Assert.Equal("server[100]", server.Label);
        Assert.Equal("root", server.User);
        Assert.Equal(GraphFixtures.HostNs, server.NetNs);
        // Only the listener nobody is connected to is listed on its owner.
        Assert.Equal(["@idle\\\\"], server.Listening);
        Assert.Equal([3, 4, 5, 6, 7, 8, 9, 10, 11], server.Sockets.Select(s => s.Fd));
        Assert.Contains(server.Sockets, s => s is { Fd: 10, Inode: 1300, Name: "@idle\\\\", State: UnixSocketState.Listening });

        var evil = ByProcess.Nodes.Single(n => n.Id == "p/200");
        Assert.Equal("\"evil\"\\\\\\n<img src=x onerror=alert(1)>[200]", evil.Label);
        Assert.DoesNotContain('\n', evil.Label);
        Assert.Equal("web", ByProcess.Nodes.Single(n => n.Id == "p/800").Container);
        Assert.Equal("syslog.service", ByProcess.Nodes.Single(n => n.Id == "p/600").Unit);
        Assert.Null(ByProcess.Nodes.Single(n => n.Id == "p/600").Container);
        Assert.Equal("1001", ByProcess.Nodes.Single(n => n.Id == "p/400").User);
        Assert.Equal(GraphFixtures.OtherNs, ByProcess.Nodes.Single(n => n.Id == "p/700").NetNs);
        Assert.DoesNotContain(ByProcess.Nodes.SelectMany(n => n.Sockets), s => s.Inode == 1700);
    }

    [Fact]
    public void Grouping_by_command_folds_the_fork_into_one_edge_of_one_connection()
    {
        var g = SocketGraphBuilder.Build(GraphFixtures.Inventory(), new GraphOptions { Grouping = GraphGrouping.Command });
        var e = Edge(g, "c/client", "c/server");
        Assert.Equal([new GraphConnection(1111, 1101)], e.Connections);
        var node = g.Nodes.Single(n => n.Id == "c/client");
        Assert.Equal([300, 301], node.Pids);
        Assert.Equal(GraphNodeKind.Command, node.Kind);
        Assert.Equal("client", node.Label);
    }

    [Fact]
    public void Grouping_by_container_or_unit_groups_only_those_in_one()
    {
        var byContainer = SocketGraphBuilder.Build(GraphFixtures.Inventory(), new GraphOptions { Grouping = GraphGrouping.Container });
        var web = byContainer.Nodes.Single(n => n.Kind == GraphNodeKind.Container);
        Assert.Equal(("k/docker/0123456789ab", "web", "web"), (web.Id, web.Label, web.Container));
        Edge(byContainer, web.Id, "p/600");
        Assert.Contains(byContainer.Nodes, n => n.Id == "p/300");

        var byUnit = SocketGraphBuilder.Build(GraphFixtures.Inventory(), new GraphOptions { Grouping = GraphGrouping.Unit });
        var unit = byUnit.Nodes.Single(n => n.Kind == GraphNodeKind.Unit);
        Assert.Equal(("u/syslog.service", "syslog.service"), (unit.Id, unit.Label));
        Edge(byUnit, "p/800", unit.Id);
    }

    [Fact]
    public void A_filter_keeps_the_connections_with_a_matching_end()
    {
        var g = SocketGraphBuilder.Build(GraphFixtures.Inventory(), new GraphOptions { Include = s => s.Holders.Any(h => h.Pid == 700) });
        var e = Assert.Single(g.Edges);
        Assert.Equal(("p/700", "p/100"), (e.From, e.To));
        Assert.Equal(["p/100", "p/700"], g.Nodes.Select(n => n.Id));
        Assert.Empty(g.Nodes[0].Listening);
    }

    [Fact]
    public void The_same_snapshot_gives_the_same_graph()
    {
        var again = SocketGraphBuilder.Build(GraphFixtures.Inventory());
        Assert.Equal(ByProcess.Nodes.Select(n => n.Id), again.Nodes.Select(n => n.Id));
        Assert.Equal(ByProcess.Edges.Select(e => (e.From, e.To, e.Name, e.Kind)), again.Edges.Select(e => (e.From, e.To, e.Name, e.Kind)));
    }
}
