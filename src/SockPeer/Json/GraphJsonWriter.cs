using System.Text.Json;
using SockPeer.Graph;
using SockPeer.Model;

using static SockPeer.Json.NullableJson;

namespace SockPeer.Json;

/// <summary>
/// Writes the schema-1 <c>graph</c> document (docs/schema.md, "The graph document"):
/// <c>{"schema": 1, "nodes": [...], "edges": [...], "warnings": [...]}</c>. Shared by
/// <c>sockpeer graph --format json</c> and the server's <c>/api/graph</c>.
/// </summary>
public static class GraphJsonWriter
{
    /// <summary>Writes the document and a newline to <paramref name="output"/>.</summary>
    public static void Write(Stream output, SocketGraph graph)
    {
        using var w = new Utf8JsonWriter(output, SchemaJsonWriter.WriterOptions);
        Write(w, graph);
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    /// <summary>Writes the document as one JSON value.</summary>
    public static void Write(Utf8JsonWriter w, SocketGraph graph)
    {
        w.WriteStartObject();
        w.WriteNumber("schema", SchemaJsonWriter.SchemaVersion);
        SchemaJsonWriter.WriteCollector(w, graph.Collector);
        w.WriteStartArray("nodes");
        foreach (var n in graph.Nodes)
        {
            WriteNode(w, n);
        }
        w.WriteEndArray();
        w.WriteStartArray("edges");
        foreach (var e in graph.Edges)
        {
            WriteEdge(w, e);
        }
        w.WriteEndArray();
        SchemaJsonWriter.WriteWarnings(w, graph.WarningDetails);
        w.WriteEndObject();
    }

    private static void WriteNode(Utf8JsonWriter w, GraphNode n)
    {
        w.WriteStartObject();
        w.WriteString("id", n.Id);
        w.WriteString("label", n.Label);
        w.WriteString("kind", n.Kind.ToText());
        w.WriteStartArray("pids");
        foreach (int pid in n.Pids)
        {
            w.WriteNumberValue(pid);
        }
        w.WriteEndArray();
        WriteStringOrNull(w, "user", n.User);
        WriteStringOrNull(w, "container", n.Container);
        if (n.NetNs is ulong ns)
        {
            w.WriteNumber("netns", ns);
        }
        else
        {
            w.WriteNull("netns");
        }
        WriteStringOrNull(w, "netnsName", n.NetNsName);
        WriteStringOrNull(w, "unit", n.Unit);
        w.WriteStartArray("listening");
        foreach (var name in n.Listening)
        {
            w.WriteStringValue(name);
        }
        w.WriteEndArray();
        w.WriteStartArray("sockets");
        foreach (var s in n.Sockets)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", s.Pid);
            w.WriteNumber("fd", s.Fd);
            w.WriteNumber("inode", s.Inode);
            WriteStringOrNull(w, "name", s.Name);
            w.WriteString("type", s.Type.ToText());
            w.WriteString("state", s.State.ToText());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteEdge(Utf8JsonWriter w, GraphEdge e)
    {
        w.WriteStartObject();
        w.WriteString("from", e.From);
        w.WriteString("to", e.To);
        w.WriteString("name", e.Name);
        w.WriteNumber("connections", e.Connections.Count);
        w.WriteString("kind", e.Kind.ToText());
        w.WriteBoolean("crossNetns", e.CrossNetNs);
        w.WriteStartArray("sockets");
        foreach (var c in e.Connections)
        {
            w.WriteStartObject();
            w.WriteNumber("client", c.Client);
            w.WriteNumber("server", c.Server);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
