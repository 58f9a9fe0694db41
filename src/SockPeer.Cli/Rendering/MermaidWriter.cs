using System.Globalization;
using System.Text;
using SockPeer.Graph;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// Writes a <see cref="SocketGraph"/> as a Mermaid flowchart (for Markdown pages that render
/// Mermaid). Node ids are <c>n0</c>, <c>n1</c>, ... in the graph's order; every label is a quoted
/// string whose characters that Mermaid or HTML would read (quotes, <c>#</c>, <c>&lt;</c>,
/// <c>&amp;</c>, <c>@</c>, brackets, pipes, backslashes) are written as Mermaid's <c>#code;</c>
/// entities, so no name can end a label or inject markup. Socketpairs are dashed and two-headed,
/// pending connections dotted, connections between network namespaces red.
/// </summary>
internal static class MermaidWriter
{
    /// <summary>Writes the whole graph.</summary>
    public static void Write(TextWriter w, SocketGraph graph)
    {
        bool manyNetNs = graph.Nodes.Select(n => n.NetNs).OfType<ulong>().Distinct().Skip(1).Any();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        w.Write("%% sockpeer graph: Unix socket connections, client --> server\n");
        w.Write("flowchart LR\n");
        foreach (var n in graph.Nodes)
        {
            string id = "n" + ids.Count.ToString(CultureInfo.InvariantCulture);
            ids.Add(n.Id, id);
            var label = Label(DotWriter.NodeLabel(n, manyNetNs));
            w.Write("  ");
            w.Write(id);
            w.Write(n.Kind switch
            {
                GraphNodeKind.Unknown => "([" + label + "])",
                GraphNodeKind.Container or GraphNodeKind.Unit => "[[" + label + "]]",
                _ => "(" + label + ")",
            });
            w.Write('\n');
        }
        var styles = new List<string>();
        for (int i = 0; i < graph.Edges.Count; i++)
        {
            var e = graph.Edges[i];
            w.Write("  ");
            w.Write(ids[e.From]);
            w.Write(e.Kind switch
            {
                GraphEdgeKind.Pair => " <-.->|",
                GraphEdgeKind.Pending => " -.->|",
                _ => " -->|",
            });
            w.Write(Label(DotWriter.EdgeLabel(e)));
            w.Write("| ");
            w.Write(ids[e.To]);
            w.Write('\n');
            string? style = (e.Kind, e.CrossNetNs) switch
            {
                (GraphEdgeKind.Pending, true) => "stroke:#b22222,stroke-width:2px,stroke-dasharray:2 4",
                (GraphEdgeKind.Pending, false) => "stroke-dasharray:2 4",
                (_, true) => "stroke:#b22222,stroke-width:2px",
                _ => null,
            };
            if (style is not null)
            {
                styles.Add("  linkStyle " + i.ToString(CultureInfo.InvariantCulture) + " " + style + "\n");
            }
        }
        foreach (var s in styles)
        {
            w.Write(s);
        }
    }

    /// <summary>A quoted Mermaid label; line breaks become <c>&lt;br/&gt;</c>.</summary>
    internal static string Label(string text)
    {
        var sb = new StringBuilder(text.Length + 2);
        sb.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '\n': sb.Append("<br/>"); break;
                case '"' or '#' or '&' or '<' or '>' or '@' or '\\' or '|' or '`' or '[' or ']' or '{' or '}' or '(' or ')' or ';' or '%':
                case < ' ' or '\u007f':
                    sb.Append('#').Append(((int)c).ToString(CultureInfo.InvariantCulture)).Append(';');
                    break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }
}
