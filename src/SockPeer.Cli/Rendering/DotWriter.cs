using System.Globalization;
using System.Text;
using SockPeer.Graph;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// Writes a <see cref="SocketGraph"/> as Graphviz DOT (the convention of <c>systemd-analyze dot</c>):
/// clients point at servers; socketpairs are dashed and undirected, pending connections dotted,
/// connections between network namespaces red. Every string is quoted with <see cref="Quote"/>, so
/// no name can end a string, add a line or change an attribute. Nothing in the output depends on
/// time or hashing: the same graph gives the same bytes.
/// </summary>
internal static class DotWriter
{
    /// <summary>Node labels list at most this many idle listening sockets, then how many more.</summary>
    internal const int MaxListeningShown = 8;

    private const string CrossColor = "#b22222";

    /// <summary>Writes the whole graph.</summary>
    public static void Write(TextWriter w, SocketGraph graph)
    {
        bool manyNetNs = graph.Nodes.Select(n => n.NetNs).OfType<ulong>().Distinct().Skip(1).Any();
        w.Write("// sockpeer graph: Unix socket connections, client -> server\n");
        w.Write("digraph sockpeer {\n");
        w.Write("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10];\n");
        w.Write("  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n");
        w.Write("  edge [fontname=\"Helvetica\", fontsize=9];\n");
        foreach (var n in graph.Nodes)
        {
            w.Write("  ");
            w.Write(Quote(n.Id));
            w.Write(" [label=");
            w.Write(Quote(NodeLabel(n, manyNetNs)));
            w.Write(n.Kind switch
            {
                GraphNodeKind.Command => ", shape=box, style=\"rounded,bold\"",
                GraphNodeKind.Container => ", shape=box3d, style=solid",
                GraphNodeKind.Unit => ", shape=component, style=solid",
                GraphNodeKind.Unknown => ", shape=ellipse, style=dashed",
                _ => "",
            });
            w.Write("];\n");
        }
        foreach (var e in graph.Edges)
        {
            w.Write("  ");
            w.Write(Quote(e.From));
            w.Write(" -> ");
            w.Write(Quote(e.To));
            w.Write(" [label=");
            w.Write(Quote(EdgeLabel(e)));
            w.Write(e.Kind switch
            {
                GraphEdgeKind.Pair => ", style=dashed, dir=none",
                GraphEdgeKind.Pending => ", style=dotted",
                _ => "",
            });
            if (e.CrossNetNs)
            {
                w.Write(", color=\"" + CrossColor + "\", fontcolor=\"" + CrossColor + "\", penwidth=2");
            }
            w.Write("];\n");
        }
        w.Write("}\n");
    }

    /// <summary>The lines of a node's label: the name, the user, the container, the namespace (when the graph has several) and idle listeners.</summary>
    internal static string NodeLabel(GraphNode n, bool showNetNs)
    {
        var lines = new List<string> { n.Label };
        if (n.User is { } user)
        {
            lines.Add("user " + user);
        }
        if (n.Container is { } container && n.Kind != GraphNodeKind.Container)
        {
            lines.Add("container " + container);
        }
        if (showNetNs && n.NetNs is ulong ns)
        {
            lines.Add("netns " + ns.ToString(CultureInfo.InvariantCulture) + (n.NetNsName is { } nsName ? $" ({nsName})" : ""));
        }
        foreach (var name in n.Listening.Take(MaxListeningShown))
        {
            lines.Add("listening " + name);
        }
        if (n.Listening.Count > MaxListeningShown)
        {
            lines.Add($"and {n.Listening.Count - MaxListeningShown} more listening");
        }
        return string.Join('\n', lines);
    }

    /// <summary>An edge's label: the socket name, the number of connections when more than one, and a namespace mark.</summary>
    internal static string EdgeLabel(GraphEdge e)
    {
        var label = e.Kind == GraphEdgeKind.Pending ? "pending " + e.Name : e.Name;
        if (e.Connections.Count > 1)
        {
            label += " \u00d7" + e.Connections.Count.ToString(CultureInfo.InvariantCulture);
        }
        if (e.CrossNetNs)
        {
            label += "\n(across netns)";
        }
        return label;
    }

    /// <summary>
    /// A DOT double-quoted string: <c>"</c> and <c>\</c> get a backslash (so a name's own <c>\n</c> or
    /// <c>\N</c> stays text), a line break becomes DOT's <c>\n</c>, other control characters
    /// <c>\\xhh</c> text, and <c>&amp;</c> becomes <c>&amp;amp;</c> because Graphviz reads entities in labels.
    /// </summary>
    internal static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 2);
        sb.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '&': sb.Append("&amp;"); break;
                case < ' ' or '\u007f': sb.Append("\\\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }
}
