using System.Text.Json;
using SockPeer.Endpoints;
using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Json;

/// <summary>Writes endpoints of the kinds beside Unix sockets (docs/schema.md, "Endpoints").</summary>
public static class EndpointJsonWriter
{
    /// <summary>`sockpeer peer PID FD` on a pipe, FIFO, pty, TCP or UDP socket.</summary>
    public static void WritePeer(Stream output, SocketInventory inventory, EndpointReport report, IReadOnlyList<ProcessInfo> processes)
    {
        ArgumentNullException.ThrowIfNull(report);
        SchemaJsonWriter.WriteDocument(output, inventory, processes, w =>
        {
            w.WriteString("kind", KindText(report.Endpoint.Kind));
            w.WritePropertyName("endpoint");
            WriteEndpoint(w, report.Endpoint);
            w.WritePropertyName("peer");
            WriteEndpointOrNull(w, report.Peer);
            w.WritePropertyName("listener");
            WriteEndpointOrNull(w, report.Listener);
        });
    }

    /// <summary>`sockpeer who ADDR:PORT` or `who FIFO`: the servers (or the FIFO's ends) and their connections.</summary>
    public static void WriteWho(Stream output, SocketInventory inventory, string target, IReadOnlyList<Endpoint> servers, IReadOnlyList<EndpointConnection> connections, IReadOnlyList<ProcessInfo> processes)
    {
        ArgumentNullException.ThrowIfNull(servers);
        SchemaJsonWriter.WriteDocument(output, inventory, processes, w =>
        {
            w.WriteString("target", target);
            w.WriteStartArray("servers");
            foreach (var s in servers)
            {
                WriteEndpoint(w, s);
            }
            w.WriteEndArray();
            WriteConnections(w, connections);
        });
    }

    /// <summary>The <c>endpoints</c> array: <c>{"kind", "ends": [E, E], "listener": E|null}</c> per connection.</summary>
    public static void WriteConnections(Utf8JsonWriter w, IReadOnlyList<EndpointConnection> connections)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(connections);
        w.WriteStartArray("endpoints");
        foreach (var c in connections)
        {
            w.WriteStartObject();
            w.WriteString("kind", KindText(c.Kind));
            w.WriteStartArray("ends");
            foreach (var e in c.Ends)
            {
                WriteEndpoint(w, e);
            }
            w.WriteEndArray();
            w.WritePropertyName("listener");
            WriteEndpointOrNull(w, c.Listener);
            w.WriteEndObject();
            if (w.BytesPending > 64 * 1024)
            {
                w.Flush();
            }
        }
        w.WriteEndArray();
    }

    /// <summary>One endpoint object E.</summary>
    public static void WriteEndpoint(Utf8JsonWriter w, Endpoint e)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(e);
        w.WriteStartObject();
        w.WriteString("kind", KindText(e.Kind));
        w.WriteNumber("id", e.Id);
        if (e.Name is null)
        {
            w.WriteNull("name");
        }
        else
        {
            w.WriteString("name", e.Name);
        }
        if (e.NetNs is ulong ns)
        {
            w.WriteNumber("netns", ns);
        }
        else
        {
            w.WriteNull("netns");
        }
        w.WriteString("state", e.State);
        if (e.Device is not null)
        {
            w.WriteString("device", e.Device);
        }
        if (e.Kind is EndpointKind.Tcp or EndpointKind.Udp)
        {
            if (e.Remote is null)
            {
                w.WriteNull("remote");
            }
            else
            {
                w.WriteString("remote", e.Remote);
            }
        }
        if (e.Pending is uint pending)
        {
            w.WriteNumber("pending", pending);
            w.WriteNumber("backlog", e.Backlog ?? 0);
        }
        w.WriteStartArray("holders");
        foreach (var h in e.Holders)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", h.Pid);
            w.WriteNumber("fd", h.Fd);
            w.WriteString("access", AccessText(h.Access));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteEndpointOrNull(Utf8JsonWriter w, Endpoint? e)
    {
        if (e is null)
        {
            w.WriteNullValue();
        }
        else
        {
            WriteEndpoint(w, e);
        }
    }

    /// <summary>"unix", "pipe", "fifo", "pty", "tcp", "udp".</summary>
    public static string KindText(EndpointKind kind) => kind switch
    {
        EndpointKind.Unix => "unix",
        EndpointKind.Pipe => "pipe",
        EndpointKind.Fifo => "fifo",
        EndpointKind.Pty => "pty",
        EndpointKind.Tcp => "tcp",
        _ => "udp",
    };

    /// <summary>"read", "write", "readwrite".</summary>
    public static string AccessText(EndpointAccess access) => access switch
    {
        EndpointAccess.Read => "read",
        EndpointAccess.Write => "write",
        _ => "readwrite",
    };
}
