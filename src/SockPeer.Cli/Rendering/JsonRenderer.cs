using System.Text.Json;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;

namespace SockPeer.Cli.Rendering;

/// <summary>Writes the schema-1 JSON documents (docs/schema.md) straight to a stream.</summary>
internal static class JsonRenderer
{
    public const int SchemaVersion = 1;
    private static readonly JsonWriterOptions Options = new()
    {
        // Compact, like `ip -j`: a busy host's document is tens of megabytes; pipe it to `jq` to read it.
        Indented = false,
        SkipValidation = true,
        // Output goes to terminals and pipes, not into HTML: keep non-ASCII names readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void WriteList(Stream output, SocketInventory inventory, IReadOnlyList<UnixSocket> sockets, IReadOnlyList<ProcessInfo> processes)
        => WriteDocument(output, inventory, processes, w =>
        {
            w.WriteBoolean("peersKnown", inventory.PeersKnown);
            w.WriteStartArray("sockets");
            foreach (var s in sockets)
            {
                WriteSocket(w, s);
                if (w.BytesPending > 64 * 1024)
                {
                    w.Flush();
                }
            }
            w.WriteEndArray();
        });

    public static void WritePeer(Stream output, SocketInventory inventory, PeerReport report)
        => WriteDocument(output, inventory, report.Processes, w =>
        {
            w.WritePropertyName("socket");
            WriteSocket(w, report.Socket);
            w.WritePropertyName("peer");
            WriteSocketOrNull(w, report.Peer);
            w.WritePropertyName("listener");
            WriteSocketOrNull(w, report.Listener);
        });

    public static void WriteWho(Stream output, SocketInventory inventory, WhoReport report)
        => WriteDocument(output, inventory, report.Processes, w =>
        {
            w.WriteString("path", report.Path);
            WriteSockets(w, "listeners", report.Listeners);
            WriteSockets(w, "stale", report.Stale);
            w.WriteStartArray("connections");
            foreach (var c in report.Connections)
            {
                w.WriteStartObject();
                w.WritePropertyName("server");
                WriteSocket(w, c.Server);
                w.WritePropertyName("client");
                WriteSocketOrNull(w, c.Client);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteSockets(w, "pending", report.Pending);
        });

    /// <summary>Every document: schema first, its own fields, then processes and warnings.</summary>
    private static void WriteDocument(Stream output, SocketInventory inventory, IReadOnlyList<ProcessInfo> processes, Action<Utf8JsonWriter> body)
    {
        using var w = new Utf8JsonWriter(output, Options);
        w.WriteStartObject();
        w.WriteNumber("schema", SchemaVersion);
        body(w);
        w.WriteStartArray("processes");
        foreach (var p in processes)
        {
            WriteProcess(w, p);
        }
        w.WriteEndArray();
        WriteWarnings(w, inventory.Warnings);
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteSockets(Utf8JsonWriter w, string name, IReadOnlyList<UnixSocket> sockets)
    {
        w.WriteStartArray(name);
        foreach (var s in sockets)
        {
            WriteSocket(w, s);
        }
        w.WriteEndArray();
    }

    private static void WriteWarnings(Utf8JsonWriter w, IReadOnlyList<string> warnings)
    {
        w.WriteStartArray("warnings");
        foreach (var s in warnings)
        {
            w.WriteStringValue(s);
        }
        w.WriteEndArray();
    }

    private static void WriteSocketOrNull(Utf8JsonWriter w, UnixSocket? s)
    {
        if (s is null)
        {
            w.WriteNullValue();
        }
        else
        {
            WriteSocket(w, s);
        }
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, uint? value)
    {
        if (value is uint v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, ulong? value)
    {
        if (value is ulong v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteInodes(Utf8JsonWriter w, string name, IReadOnlyList<uint> inodes)
    {
        w.WriteStartArray(name);
        foreach (uint i in inodes)
        {
            w.WriteNumberValue(i);
        }
        w.WriteEndArray();
    }

    public static void WriteSocket(Utf8JsonWriter w, UnixSocket s)
    {
        w.WriteStartObject();
        w.WriteNumber("inode", s.Inode);
        w.WriteNumber("cookie", s.Cookie);
        WriteNullable(w, "netns", s.NetNs);
        w.WriteString("type", s.Type.ToText());
        w.WriteString("state", s.State.ToText());
        if (s.NameBytes is { } name)
        {
            w.WriteString("name", s.Name);
            w.WriteBase64String("nameBytes", name);
        }
        else
        {
            w.WriteNull("name");
            w.WriteNull("nameBytes");
        }
        w.WriteBoolean("abstract", s.IsAbstract);
        if (s.File is { } f)
        {
            w.WriteStartObject("file");
            w.WriteString("device", f.Device);
            w.WriteNumber("inode", f.Inode);
            w.WriteString("status", f.Status.ToText());
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("file");
        }
        WriteNullable(w, "peer", s.Peer);
        WriteNullable(w, "listener", s.Listener);
        WriteInodes(w, "pending", s.Pending);
        WriteNullable(w, "pendingCount", s.PendingCount);
        WriteNullable(w, "backlog", s.Backlog);
        w.WriteNumber("recvQueue", s.RecvQueue);
        w.WriteNumber("sendQueue", s.SendQueue);
        w.WriteString("shutdown", s.Shutdown.ToText());
        WriteNullable(w, "uid", s.Uid);
        w.WriteStartArray("holders");
        foreach (var h in s.Holders)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", h.Pid);
            w.WriteNumber("fd", h.Fd);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteNullable(w, "inFlightOn", s.InFlightOn);
        w.WriteBoolean("socketpair", s.IsSocketPair);
        WriteNullable(w, "pendingOn", s.PendingOn);
        w.WriteBoolean("awaitingAccept", s.AwaitingAccept);
        w.WriteBoolean("pendingPartial", s.PendingPartial);
        WriteInodes(w, "clients", s.Clients);
        w.WriteBoolean("inFlight", s.InFlight);
        w.WriteEndObject();
    }

    public static void WriteProcess(Utf8JsonWriter w, ProcessInfo p)
    {
        w.WriteStartObject();
        w.WriteNumber("pid", p.Pid);
        w.WriteNumber("ppid", p.PPid);
        w.WriteString("command", p.Command);
        w.WriteStartArray("cmdline");
        foreach (var a in p.CommandLine)
        {
            w.WriteStringValue(a);
        }
        w.WriteEndArray();
        w.WriteNumber("uid", p.Uid);
        if (p.User is null)
        {
            w.WriteNull("user");
        }
        else
        {
            w.WriteString("user", p.User);
        }
        WriteNullable(w, "netns", p.NetNs);
        if (p.Container is { } c)
        {
            w.WriteStartObject("container");
            w.WriteString("runtime", c.Runtime);
            w.WriteString("id", c.Id);
            w.WriteString("name", c.Name);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("container");
        }
        w.WriteEndObject();
    }
}
