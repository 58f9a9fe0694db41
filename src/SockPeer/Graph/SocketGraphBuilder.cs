using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Views;

namespace SockPeer.Graph;

/// <summary>How to build a graph: what a node stands for, and which sockets count.</summary>
public sealed record GraphOptions
{
    /// <summary>What one node stands for (default: one process).</summary>
    public GraphGrouping Grouping { get; init; } = GraphGrouping.Process;

    /// <summary>
    /// The socket filter (list's filters); null takes every socket. A connection is drawn when its
    /// client end, its server end or its listener matches, as list shows a connection when either end does.
    /// </summary>
    public Func<UnixSocket, bool>? Include { get; init; }
}

/// <summary>
/// Builds the <see cref="SocketGraph"/> of a snapshot. Edges go from client to server as the engine
/// decided each socket's <see cref="UnixSocket.Role"/>: a client to the accepted server end, a datagram
/// client to its server, a client waiting in an accept queue to its listener; a socketpair has no server. A socket held by several processes (shared
/// across fork) gives one edge from each holding node. Connections whose other end could not be
/// seen are not drawn (the snapshot's warnings say what was missed); an end that no visible process
/// holds is drawn as the single <see cref="GraphNodeKind.Unknown"/> node.
/// </summary>
public static class SocketGraphBuilder
{
    /// <summary>The id of the node that stands for ends no visible process holds.</summary>
    public const string UnknownNodeId = "?";
    /// <summary>The edge name of a socketpair.</summary>
    public const string PairName = "socketpair";
    /// <summary>The edge name of a connection whose server end is unnamed.</summary>
    public const string UnnamedName = "(unnamed)";

    /// <summary>Builds the graph of <paramref name="inventory"/>.</summary>
    public static SocketGraph Build(SocketInventory inventory, GraphOptions? options = null)
    {
        var state = new Builder(inventory, options ?? new GraphOptions());
        foreach (var s in inventory.Sockets)
        {
            state.Visit(s);
        }
        foreach (var s in inventory.Sockets)
        {
            state.AddIfIdleServer(s);
        }
        return state.Result();
    }

    private sealed class NodeBuilder(string id, string label, GraphNodeKind kind, int sortPid)
    {
        public string Id { get; } = id;
        public string Label { get; } = label;
        public GraphNodeKind Kind { get; } = kind;
        public int SortPid { get; } = sortPid;
        public SortedSet<int> Pids { get; } = [];
        public SortedSet<string> Listening { get; } = new(StringComparer.Ordinal);
        public Dictionary<(int Pid, int Fd), GraphSocket> Sockets { get; } = [];
    }

    private sealed class EdgeBuilder
    {
        public HashSet<GraphConnection> Connections { get; } = [];
        public bool CrossNetNs { get; set; }
    }

    private sealed class Builder(SocketInventory inventory, GraphOptions options)
    {
        private readonly Dictionary<string, NodeBuilder> _nodes = new(StringComparer.Ordinal);
        private readonly Dictionary<(string From, string To, string Name, GraphEdgeKind Kind, bool Crosses), EdgeBuilder> _edges = [];
        private readonly Dictionary<int, NodeBuilder> _nodeOfPid = [];
        // (serving socket, node) pairs drawn as the server end of an edge: a listening socket is
        // listed on each other node holding it (nobody connected, or its connections handed to others).
        private readonly HashSet<(uint Inode, string Node)> _served = [];

        private bool Includes(UnixSocket? s) => s is not null && (options.Include is null || options.Include(s));

        public void Visit(UnixSocket s)
        {
            // Each connection is drawn once, from the end that names it (its client; a pair's first end),
            // with the roles the engine decided.
            switch (s.Role)
            {
                case SocketRole.Pending:
                    if (s.PendingOn is uint pendingOn && inventory.Find(pendingOn) is { } waitedOn)
                    {
                        AddConnection(s, waitedOn, waitedOn, waitedOn.Name ?? UnnamedName, GraphEdgeKind.Pending);
                    }
                    return;
                case SocketRole.Pair when s.ConnectionClient == s.Inode:
                    if (SocketViews.Peer(inventory, s) is { } twin)
                    {
                        AddConnection(s, twin, null, PairName, GraphEdgeKind.Pair);
                    }
                    return;
                case SocketRole.Client or SocketRole.DatagramClient:
                    if (SocketViews.Peer(inventory, s) is { } server && (s.Role == SocketRole.DatagramClient || server.Peer == s.Inode))
                    {
                        // The server end carries the listener's name, which outlives the listener.
                        var listener = SocketViews.Listener(inventory, s);
                        AddConnection(s, server, listener, server.Name ?? listener?.Name ?? s.Name ?? UnnamedName, GraphEdgeKind.Connection);
                    }
                    return;
                default:
                    return;
            }
        }

        public void AddIfIdleServer(UnixSocket s)
        {
            if (!s.Role.Serves())
            {
                return;
            }
            bool included = Includes(s);
            foreach (var h in s.Holders)
            {
                if (_nodeOfPid.TryGetValue(h.Pid, out var known) && _served.Contains((s.Inode, known.Id)))
                {
                    AddSocket(known, h, s);
                }
                else if (included)
                {
                    var node = NodeOf(h.Pid);
                    node.Listening.Add(s.Name ?? UnnamedName);
                    AddSocket(node, h, s);
                }
            }
        }

        private void AddConnection(UnixSocket client, UnixSocket server, UnixSocket? listener, string name, GraphEdgeKind kind)
        {
            if (!Includes(client) && !Includes(server) && !Includes(listener))
            {
                return;
            }
            var clientEnds = Ends(client);
            var serverEnds = Ends(server);
            foreach (var (serverNode, _) in serverEnds)
            {
                _served.Add((listener?.Inode ?? server.Inode, serverNode.Id));
            }
            foreach (var (clientNode, clientHolders) in clientEnds)
            {
                foreach (var (serverNode, serverHolders) in serverEnds)
                {
                    var (from, to, connection) = kind == GraphEdgeKind.Pair && string.CompareOrdinal(clientNode.Id, serverNode.Id) > 0
                        ? (serverNode, clientNode, new GraphConnection(server.Inode, client.Inode))
                        : (clientNode, serverNode, new GraphConnection(client.Inode, server.Inode));
                    // Grouped only with connections that agree on crossing namespaces: a host client and
                    // one from another namespace of the same command are two edges, not one "×2 (across netns)".
                    bool crosses = NetNsCrossing.Crosses(inventory, client, clientHolders, listener ?? server, serverHolders);
                    var key = (from.Id, to.Id, name, kind, crosses);
                    if (!_edges.TryGetValue(key, out var edge))
                    {
                        edge = new EdgeBuilder();
                        _edges.Add(key, edge);
                    }
                    edge.Connections.Add(connection);
                    edge.CrossNetNs = crosses;
                }
            }
        }

        /// <summary>The nodes holding <paramref name="s"/>, each with its holders; the unknown node when none.</summary>
        private List<(NodeBuilder Node, List<SocketHolder> Holders)> Ends(UnixSocket s)
        {
            var ends = new List<(NodeBuilder, List<SocketHolder>)>();
            foreach (var h in s.Holders)
            {
                var node = NodeOf(h.Pid);
                AddSocket(node, h, s);
                int i = ends.FindIndex(e => ReferenceEquals(e.Item1, node));
                if (i < 0)
                {
                    ends.Add((node, [h]));
                }
                else
                {
                    ends[i].Item2.Add(h);
                }
            }
            if (ends.Count == 0)
            {
                ends.Add((Unknown(), []));
            }
            return ends;
        }

        private static void AddSocket(NodeBuilder node, SocketHolder h, UnixSocket s)
            => node.Sockets.TryAdd((h.Pid, h.Fd), new GraphSocket(h.Pid, h.Fd, s.Inode, s.Name, s.Type, s.State));

        private NodeBuilder Unknown()
        {
            if (!_nodes.TryGetValue(UnknownNodeId, out var node))
            {
                node = new NodeBuilder(UnknownNodeId, "(no visible process)", GraphNodeKind.Unknown, 0);
                _nodes.Add(UnknownNodeId, node);
            }
            return node;
        }

        private NodeBuilder NodeOf(int pid)
        {
            if (_nodeOfPid.TryGetValue(pid, out var known))
            {
                return known;
            }
            var process = inventory.FindProcess(pid);
            string command = process is null ? "?" : SocketName.Escape(process.Command);
            var container = process?.Container;
            (string id, string label, GraphNodeKind kind) = options.Grouping switch
            {
                GraphGrouping.Command => ($"c/{command}", command, GraphNodeKind.Command),
                GraphGrouping.Container when container is { Runtime: not "systemd" } c
                    => ($"k/{c.Runtime}/{c.Id ?? c.Name}", SocketName.Escape(c.Name ?? c.Id ?? c.Runtime), GraphNodeKind.Container),
                GraphGrouping.Unit when container is { Runtime: "systemd", Name: { } unit }
                    => ($"u/{SocketName.Escape(unit)}", SocketName.Escape(unit), GraphNodeKind.Unit),
                _ => ($"p/{pid}", $"{command}[{pid}]", GraphNodeKind.Process),
            };
            if (!_nodes.TryGetValue(id, out var node))
            {
                node = new NodeBuilder(id, label, kind, pid);
                _nodes.Add(id, node);
            }
            node.Pids.Add(pid);
            _nodeOfPid[pid] = node;
            return node;
        }

        public SocketGraph Result()
        {
            var ordered = _nodes.Values
                .OrderBy(n => n.Kind)
                .ThenBy(n => n.Kind == GraphNodeKind.Process ? n.SortPid : 0)
                .ThenBy(n => n.Id, StringComparer.Ordinal)
                .ToList();
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var nodes = new List<GraphNode>(ordered.Count);
            foreach (var n in ordered)
            {
                index[n.Id] = nodes.Count;
                nodes.Add(Finish(n));
            }
            var edges = _edges
                .OrderBy(e => index[e.Key.From])
                .ThenBy(e => index[e.Key.To])
                .ThenBy(e => e.Key.Name, StringComparer.Ordinal)
                .ThenBy(e => e.Key.Kind)
                .ThenBy(e => e.Key.Crosses)
                .Select(e => new GraphEdge
                {
                    From = e.Key.From,
                    To = e.Key.To,
                    Name = e.Key.Name,
                    Kind = e.Key.Kind,
                    CrossNetNs = e.Value.CrossNetNs,
                    Connections = [.. e.Value.Connections.OrderBy(c => c.Client).ThenBy(c => c.Server)],
                })
                .ToList();
            return new SocketGraph { Nodes = nodes, Edges = edges, Warnings = inventory.Warnings, WarningDetails = inventory.WarningDetails, Collector = inventory.Collector };
        }

        private GraphNode Finish(NodeBuilder n)
        {
            var processes = n.Pids.Select(inventory.FindProcess).ToList();
            var known = processes.OfType<ProcessInfo>().ToList();
            var users = known.Select(p => p.User ?? p.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            bool allKnown = known.Count == processes.Count && known.Count > 0;
            return new GraphNode
            {
                Id = n.Id,
                Label = n.Label,
                Kind = n.Kind,
                Pids = [.. n.Pids],
                User = users.Count == 0 ? null : SocketName.Escape(string.Join(",", users)),
                Container = allKnown ? Same(known, p => p.Container is { Runtime: not "systemd" } c ? SocketName.Escape(c.Name ?? c.Id ?? c.Runtime) : null) : null,
                Unit = allKnown ? Same(known, p => p.Container is { Runtime: "systemd", Name: { } u } ? SocketName.Escape(u) : null) : null,
                NetNs = allKnown && known.Select(p => p.NetNs).Distinct().ToList() is [ulong ns] ? ns : null,
                NetNsName = allKnown && known.Select(p => p.NetNs).Distinct().ToList() is [ulong] && known[0].NetNsName is { } nsName ? SocketName.Escape(nsName) : null,
                Listening = [.. n.Listening],
                Sockets = [.. n.Sockets.OrderBy(s => s.Key.Pid).ThenBy(s => s.Key.Fd).Select(s => s.Value)],
            };
        }

        private static string? Same(List<ProcessInfo> processes, Func<ProcessInfo, string?> value)
            => processes.Select(value).Distinct(StringComparer.Ordinal).ToList() is [string one] ? one : null;
    }
}
