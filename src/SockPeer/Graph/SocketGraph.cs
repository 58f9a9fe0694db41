using SockPeer.Model;

namespace SockPeer.Graph;

/// <summary>What one node of the graph stands for.</summary>
public enum GraphGrouping
{
    /// <summary>One node per process: <c>command[pid]</c>.</summary>
    Process,
    /// <summary>One node per command name (every process of that name together).</summary>
    Command,
    /// <summary>One node per container; processes in none stay one node each.</summary>
    Container,
    /// <summary>One node per systemd unit; processes in none stay one node each.</summary>
    Unit,
}

/// <summary>The kind of a node.</summary>
public enum GraphNodeKind
{
    /// <summary>One process.</summary>
    Process,
    /// <summary>Every process of one command name.</summary>
    Command,
    /// <summary>Every process of one container.</summary>
    Container,
    /// <summary>Every process of one systemd unit.</summary>
    Unit,
    /// <summary>The end of a connection that no visible process holds (in flight, or held by a process that could not be inspected).</summary>
    Unknown,
}

/// <summary>The kind of an edge.</summary>
public enum GraphEdgeKind
{
    /// <summary>A client connected to a named (or datagram) server socket.</summary>
    Connection,
    /// <summary>Both ends of a socketpair (no client or server: drawn without direction).</summary>
    Pair,
    /// <summary>A client waiting in a listener's accept queue.</summary>
    Pending,
}

/// <summary>One socket descriptor a node holds: which process, which fd, which socket.</summary>
/// <param name="Pid">The holding process.</param>
/// <param name="Fd">Its file descriptor.</param>
/// <param name="Inode">The socket inode.</param>
/// <param name="Name">The socket's display name; null when unnamed.</param>
/// <param name="Type">Socket type.</param>
/// <param name="State">Socket state.</param>
public sealed record GraphSocket(int Pid, int Fd, uint Inode, string? Name, UnixSocketType Type, UnixSocketState State);

/// <summary>One connection folded into an edge: the client end's and the server end's socket inodes.</summary>
/// <param name="Client">Client socket inode (for a pair: the end held by the edge's <c>From</c> node).</param>
/// <param name="Server">Server socket inode: the accepted socket, the datagram server, or for a pending client the listener.</param>
public readonly record struct GraphConnection(uint Client, uint Server);

/// <summary>A process, or a group of processes, with the sockets it holds that the graph shows.</summary>
public sealed record GraphNode
{
    /// <summary>Stable identifier, unique in the graph (<c>p/PID</c>, <c>c/COMMAND</c>, <c>k/RUNTIME/NAME</c>, <c>u/UNIT</c>, <c>?</c>).</summary>
    public required string Id { get; init; }
    /// <summary>Display text: <c>command[pid]</c>, the command, the container or the unit, escaped to one line.</summary>
    public required string Label { get; init; }
    /// <summary>What the node stands for.</summary>
    public required GraphNodeKind Kind { get; init; }
    /// <summary>The processes in the node, ordered.</summary>
    public IReadOnlyList<int> Pids { get; init; } = [];
    /// <summary>The user (or users, comma-separated and ordered) of those processes; null when unknown.</summary>
    public string? User { get; init; }
    /// <summary>The container the processes run in (its name, else its id); null when none or when they differ.</summary>
    public string? Container { get; init; }
    /// <summary>The systemd unit the processes run in; null when none or when they differ.</summary>
    public string? Unit { get; init; }
    /// <summary>The network namespace of the processes; null when unknown or when they differ.</summary>
    public ulong? NetNs { get; init; }
    /// <summary>The name of that network namespace (`ip netns` name, or the container's; <see cref="UnixSocket.NetNsName"/>); null when none.</summary>
    public string? NetNsName { get; init; }
    /// <summary>Names of the listening (or bound datagram) sockets the node holds that are the server end of none of its edges (nobody connected, or the connections are handed to other processes), ordered.</summary>
    public IReadOnlyList<string> Listening { get; init; } = [];
    /// <summary>Every (pid, fd) of the node that holds a socket of one of its edges or <see cref="Listening"/>, ordered by pid, fd.</summary>
    public IReadOnlyList<GraphSocket> Sockets { get; init; } = [];
}

/// <summary>Every connection between two nodes through one socket name, of one kind.</summary>
public sealed record GraphEdge
{
    /// <summary>The client node's id (for a pair, the node whose id sorts first).</summary>
    public required string From { get; init; }
    /// <summary>The server node's id.</summary>
    public required string To { get; init; }
    /// <summary>The socket name: a path, <c>@abstract</c>, <c>socketpair</c>, or <c>(unnamed)</c>; escaped to one line.</summary>
    public required string Name { get; init; }
    /// <summary>Connection, socketpair or pending.</summary>
    public required GraphEdgeKind Kind { get; init; }
    /// <summary>The connections of the edge have their two ends in different network namespaces (<see cref="Views.NetNsCrossing"/>); an edge never mixes crossing and non-crossing connections.</summary>
    public bool CrossNetNs { get; init; }
    /// <summary>The connections, ordered by client then server inode; their count is the edge's weight.</summary>
    public IReadOnlyList<GraphConnection> Connections { get; init; } = [];
}

/// <summary>
/// Who talks to whom: processes (or groups of them) as nodes and their Unix socket connections as
/// edges from client to server, built from a <see cref="Inventory.SocketInventory"/> by
/// <see cref="SocketGraphBuilder"/>. Nodes and edges are sorted, so the same host state gives the
/// same graph.
/// </summary>
public sealed record SocketGraph
{
    /// <summary>Nodes, ordered by kind, then pid (process nodes) or id.</summary>
    public required IReadOnlyList<GraphNode> Nodes { get; init; }
    /// <summary>Edges, ordered by from, to, name and kind.</summary>
    public required IReadOnlyList<GraphEdge> Edges { get; init; }
    /// <summary>The warnings of the snapshot the graph was built from.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>The warnings of the snapshot the graph was built from, with their codes and pids.</summary>
    public IReadOnlyList<SockPeer.Inventory.InventoryWarning> WarningDetails { get; init; } = [];

    /// <summary>What read the kernel for the snapshot the graph was drawn from.</summary>
    public SockPeer.Inventory.SnapshotCollector Collector { get; init; }
}

/// <summary>Text forms of the graph enums, as JSON and the writers use them.</summary>
public static class GraphText
{
    /// <summary><c>process</c>, <c>command</c>, <c>container</c>, <c>unit</c>, <c>unknown</c>.</summary>
    public static string ToText(this GraphNodeKind kind) => kind switch
    {
        GraphNodeKind.Process => "process",
        GraphNodeKind.Command => "command",
        GraphNodeKind.Container => "container",
        GraphNodeKind.Unit => "unit",
        _ => "unknown",
    };

    /// <summary><c>connection</c>, <c>pair</c>, <c>pending</c>.</summary>
    public static string ToText(this GraphEdgeKind kind) => kind switch
    {
        GraphEdgeKind.Pair => "pair",
        GraphEdgeKind.Pending => "pending",
        _ => "connection",
    };

    /// <summary>Parses <c>process</c>, <c>command</c>, <c>container</c> or <c>unit</c>.</summary>
    public static bool TryParseGrouping(string? text, out GraphGrouping grouping)
    {
        (bool ok, grouping) = text switch
        {
            "process" => (true, GraphGrouping.Process),
            "command" => (true, GraphGrouping.Command),
            "container" => (true, GraphGrouping.Container),
            "unit" => (true, GraphGrouping.Unit),
            _ => (false, GraphGrouping.Process),
        };
        return ok;
    }
}
