using System.Text.Json;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;
using SockPeer.Views;


namespace SockPeer.Json;

/// <summary>
/// Writes the schema-1 JSON documents (docs/schema.md) straight to a stream. Shared by the command
/// line, the server's JSON API and the watcher's event lines, so a socket or process object is the
/// same wherever it appears.
/// </summary>
public static class SchemaJsonWriter
{
    /// <summary>The schema number every document starts with.</summary>
    public const int SchemaVersion = 1;
    /// <summary>The writer options of every document: compact, names readable (not HTML-escaped).</summary>
    internal static JsonWriterOptions WriterOptions => Options;

    private static readonly JsonWriterOptions Options = new()
    {
        // Compact, like `ip -j`: a busy host's document is tens of megabytes; pipe it to `jq` to read it.
        Indented = false,
        SkipValidation = true,
        // Output goes to terminals and pipes, not into HTML: keep non-ASCII names readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>`sockpeer list`: the given sockets and processes of <paramref name="inventory"/>.</summary>
    public static void WriteList(Stream output, SocketInventory inventory, IReadOnlyList<UnixSocket> sockets, IReadOnlyList<ProcessInfo> processes)
        => WriteList(output, inventory, sockets, processes, null);

    /// <summary>`sockpeer list --kind ...`: as above, with the <c>endpoints</c> array of the other kinds when given.</summary>
    public static void WriteList(Stream output, SocketInventory inventory, IReadOnlyList<UnixSocket> sockets, IReadOnlyList<ProcessInfo> processes,
        IReadOnlyList<SockPeer.Endpoints.EndpointConnection>? endpoints)
        => WriteDocument(output, inventory, processes, w =>
        {
            w.WriteBoolean("peersKnown", inventory.PeersKnown);
            w.WriteStartArray("sockets");
            var names = new NameCache();
            foreach (var s in sockets)
            {
                WriteSocket(w, s, names);
                if (w.BytesPending > 64 * 1024)
                {
                    w.Flush();
                }
            }
            w.WriteEndArray();
            if (endpoints is not null)
            {
                EndpointJsonWriter.WriteConnections(w, endpoints);
            }
        });

    /// <summary>`sockpeer peer`.</summary>
    public static void WritePeer(Stream output, SocketInventory inventory, PeerReport report)
        => WriteDocument(output, inventory, report.Processes, w =>
        {
            w.WriteString("kind", "unix");
            w.WritePropertyName("socket");
            WriteSocket(w, report.Socket);
            w.WritePropertyName("peer");
            WriteSocketOrNull(w, report.Peer);
            w.WritePropertyName("listener");
            WriteSocketOrNull(w, report.Listener);
        });

    /// <summary>`sockpeer who`.</summary>
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
                w.WriteBoolean("acrossNetns", c.AcrossNetNs);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteSockets(w, "pending", report.Pending);
        });

    /// <summary>`sockpeer list --summary`: counts by type and kind, queues in use, the fullest listeners.</summary>
    public static void WriteSummary(Stream output, SocketInventory inventory, SocketSummary summary)
    {
        using var w = new Utf8JsonWriter(output, Options);
        w.WriteStartObject();
        w.WriteNumber("schema", SchemaVersion);
        WriteCollector(w, inventory.Collector);
        w.WriteStartObject("summary");
        w.WriteNumber("total", summary.Total);
        w.WriteStartArray("types");
        foreach (var (type, kinds) in summary.ByTypeAndKind.OrderBy(p => p.Key))
        {
            w.WriteStartObject();
            w.WriteString("type", type.ToText());
            w.WriteNumber("total", kinds.Values.Sum());
            w.WriteStartObject("kinds");
            foreach (var (kind, count) in kinds.OrderBy(p => p.Key))
            {
                w.WriteNumber(kind == SocketKind.InFlight ? "inflight" : kind.ToText(), count);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("recvQueueInUse", summary.WithRecvQueue);
        w.WriteNumber("sendQueueInUse", summary.WithSendQueue);
        w.WriteNumber("withoutHolder", summary.WithoutHolder);
        w.WriteNumber("netnsCount", summary.NetNamespaces);
        w.WriteStartArray("fullestListeners");
        foreach (var f in summary.FullestListeners)
        {
            w.WriteStartObject();
            w.WriteNumber("inode", f.Listener.Inode);
            if (f.Listener.Name is { } name)
            {
                w.WriteString("name", name);
            }
            else
            {
                w.WriteNull("name");
            }
            w.WriteNumber("pending", f.Pending);
            w.WriteNumber("backlog", f.Backlog);
            w.WriteBoolean("full", f.Full);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        WriteWarnings(w, inventory.WarningDetails);
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    /// <summary>Every document: schema first, its own fields, then processes and warnings.</summary>
    internal static void WriteDocument(Stream output, SocketInventory inventory, IReadOnlyList<ProcessInfo> processes, Action<Utf8JsonWriter> body)
    {
        using var w = new Utf8JsonWriter(output, Options);
        w.WriteStartObject();
        w.WriteNumber("schema", SchemaVersion);
        WriteCollector(w, inventory.Collector);
        body(w);
        w.WriteStartArray("processes");
        foreach (var p in processes)
        {
            WriteProcess(w, p);
        }
        w.WriteEndArray();
        WriteWarnings(w, inventory.WarningDetails);
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    /// <summary><c>collector</c>: what read the kernel for the snapshot, <c>bpf</c> or <c>procfs</c>.</summary>
    internal static void WriteCollector(Utf8JsonWriter w, SnapshotCollector collector)
        => w.WriteString("collector", collector == SnapshotCollector.Bpf ? "bpf" : "procfs");

    private static void WriteSockets(Utf8JsonWriter w, string name, IReadOnlyList<UnixSocket> sockets)
    {
        w.WriteStartArray(name);
        foreach (var s in sockets)
        {
            WriteSocket(w, s);
        }
        w.WriteEndArray();
    }

    /// <summary>
    /// <c>warnings</c> (the sentences, as schema 1 first had them) and <c>warningDetails</c> (the same
    /// warnings with their stable code, the pids they concern where known, and how many things they count).
    /// </summary>
    internal static void WriteWarnings(Utf8JsonWriter w, IReadOnlyList<InventoryWarning> warnings)
    {
        w.WriteStartArray("warnings");
        foreach (var d in warnings)
        {
            w.WriteStringValue(d.Message);
        }
        w.WriteEndArray();
        w.WriteStartArray("warningDetails");
        foreach (var d in warnings)
        {
            w.WriteStartObject();
            w.WriteString("code", d.Code.ToText());
            w.WriteString("message", d.Message);
            w.WriteStartArray("pids");
            foreach (int pid in d.Pids)
            {
                w.WriteNumberValue(pid);
            }
            w.WriteEndArray();
            w.WriteNumber("count", d.Count);
            w.WriteEndObject();
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

    /// <summary>Permission bits as a four-digit octal string (<c>"0755"</c>), or null.</summary>
    internal static void WriteMode(Utf8JsonWriter w, string name, ushort? mode)
    {
        if (mode is ushort m)
        {
            // "0755", "01777": octal, at least three digits after the leading 0; formatted on the stack
            // (a watch line has one or two of these, at tens of thousands of lines a second).
            Span<byte> octal = stackalloc byte[5];
            int bits = m & 0xFFF;
            int digits = bits > 0x1FF ? 4 : 3;
            octal[0] = (byte)'0';
            for (int i = digits; i >= 1; i--, bits >>= 3)
            {
                octal[i] = (byte)('0' + (bits & 7));
            }
            w.WriteString(name, octal[..(digits + 1)]);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    /// <summary>One socket object, as in every document's <c>sockets</c> array.</summary>
    public static void WriteSocket(Utf8JsonWriter w, UnixSocket s) => WriteSocket(w, s, null);

    /// <summary>One socket object; <paramref name="names"/> caches the last name written.</summary>
    internal static void WriteSocket(Utf8JsonWriter w, UnixSocket s, NameCache? names) => WriteSocket(w, s, names, compact: false);

    /// <summary>One socket object, in full or compact (see <see cref="OptionalFields"/>).</summary>
    internal static void WriteSocket(Utf8JsonWriter w, UnixSocket s, NameCache? names, bool compact)
    {
        var f = new OptionalFields(w, compact);
        w.WriteStartObject();
        w.WriteNumber(Names.Inode, s.Inode);
        w.WriteNumber(Names.Cookie, s.Cookie);
        f.Number(Names.Netns, s.NetNs);
        f.String(Names.NetnsName, s.NetNsName);
        w.WriteString(Names.Type, Values.Of(s.Type));
        w.WriteString(Names.State, Values.Of(s.State));
        w.WriteString(Names.Role, Values.Of(s.Role));
        if (s.NameBytes is { } name)
        {
            var (shown, raw) = (names ?? new NameCache()).Get(name);
            w.WriteString(Names.Name, shown);
            w.WriteString(Names.NameBytes, raw);
        }
        else
        {
            f.Null(Names.Name);
            f.Null(Names.NameBytes);
        }
        f.Boolean(Names.Abstract, s.IsAbstract);
        if (s.File is { } file)
        {
            w.WriteStartObject(Names.File);
            Span<byte> device = stackalloc byte[SocketFile.DeviceMaxLength];
            w.WriteString(Names.Device, device[..file.FormatDevice(device)]);
            w.WriteNumber(Names.Inode, file.Inode);
            w.WriteString(Names.Status, Values.Of(file.Status));
            f.String(Names.ResolvedPath, file.ResolvedPath);
            if (file.Mode is not null || !compact)
            {
                WriteMode(w, "mode", file.Mode);
            }
            f.Number(Names.Uid, file.Uid);
            f.Number(Names.Gid, file.Gid);
            w.WriteEndObject();
        }
        else
        {
            f.Null(Names.File);
        }
        f.Number(Names.Peer, s.Peer);
        f.Number(Names.Listener, s.Listener);
        f.Inodes(Names.Pending, s.Pending);
        f.Number(Names.PendingCount, s.PendingCount);
        f.Number(Names.Backlog, s.Backlog);
        if (s.Role == SocketRole.Listener && s.PendingCount is not null && s.Backlog is not null)
        {
            f.Boolean(Names.BacklogFull, s.BacklogFull);
        }
        else
        {
            f.Null(Names.BacklogFull);
        }
        w.WriteNumber(Names.RecvQueue, s.RecvQueue);
        w.WriteNumber(Names.SendQueue, s.SendQueue);
        w.WriteString(Names.Shutdown, Values.Of(s.Shutdown));
        f.Number(Names.Uid, s.Uid);
        if (f.Writes(s.Holders.Count))
        {
            w.WriteStartArray(Names.Holders);
            for (int i = 0; i < s.Holders.Count; i++)
            {
                var h = s.Holders[i];
                w.WriteStartObject();
                w.WriteNumber(Names.Pid, h.Pid);
                w.WriteNumber(Names.Fd, h.Fd);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        f.Number(Names.InFlightOn, s.InFlightOn);
        f.Boolean(Names.Socketpair, s.IsSocketPair);
        f.Number(Names.PendingOn, s.PendingOn);
        f.Boolean(Names.AwaitingAccept, s.AwaitingAccept);
        f.Boolean(Names.PendingPartial, s.PendingPartial);
        f.Inodes(Names.Clients, s.Clients);
        f.Boolean(Names.InFlight, s.InFlight);
        w.WriteEndObject();
    }

    /// <summary>
    /// The last socket name, escaped and in base64, encoded once: sockets accepted from one listener
    /// carry its name, and on a busy server they are most of the list.
    /// </summary>
    internal sealed class NameCache
    {
        private byte[]? _bytes;
        private JsonEncodedText _shown;
        private JsonEncodedText _raw;

        /// <summary>The display text and the base64 bytes of <paramref name="name"/>, encoded once per distinct name in a row.</summary>
        public (JsonEncodedText Shown, JsonEncodedText Raw) Get(byte[] name)
        {
            if (_bytes is null || !_bytes.AsSpan().SequenceEqual(name))
            {
                _bytes = name;
                _shown = JsonEncodedText.Encode(SocketName.Display(name), Options.Encoder);
                _raw = JsonEncodedText.Encode(Convert.ToBase64String(name));
            }
            return (_shown, _raw);
        }
    }

    /// <summary>Property names encoded once: a busy host's document writes each of them tens of thousands of times.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Abstract = JsonEncodedText.Encode("abstract");
        public static readonly JsonEncodedText Cmdline = JsonEncodedText.Encode("cmdline");
        public static readonly JsonEncodedText Command = JsonEncodedText.Encode("command");
        public static readonly JsonEncodedText Container = JsonEncodedText.Encode("container");
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText PPid = JsonEncodedText.Encode("ppid");
        public static readonly JsonEncodedText Runtime = JsonEncodedText.Encode("runtime");
        public static readonly JsonEncodedText User = JsonEncodedText.Encode("user");
        public static readonly JsonEncodedText AwaitingAccept = JsonEncodedText.Encode("awaitingAccept");
        public static readonly JsonEncodedText Backlog = JsonEncodedText.Encode("backlog");
        public static readonly JsonEncodedText BacklogFull = JsonEncodedText.Encode("backlogFull");
        public static readonly JsonEncodedText Clients = JsonEncodedText.Encode("clients");
        public static readonly JsonEncodedText Cookie = JsonEncodedText.Encode("cookie");
        public static readonly JsonEncodedText Device = JsonEncodedText.Encode("device");
        public static readonly JsonEncodedText Fd = JsonEncodedText.Encode("fd");
        public static readonly JsonEncodedText File = JsonEncodedText.Encode("file");
        public static readonly JsonEncodedText Holders = JsonEncodedText.Encode("holders");
        public static readonly JsonEncodedText InFlight = JsonEncodedText.Encode("inFlight");
        public static readonly JsonEncodedText InFlightOn = JsonEncodedText.Encode("inFlightOn");
        public static readonly JsonEncodedText Inode = JsonEncodedText.Encode("inode");
        public static readonly JsonEncodedText Listener = JsonEncodedText.Encode("listener");
        public static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
        public static readonly JsonEncodedText ResolvedPath = JsonEncodedText.Encode("resolvedPath");
        public static readonly JsonEncodedText NetnsName = JsonEncodedText.Encode("netnsName");
        public static readonly JsonEncodedText NameBytes = JsonEncodedText.Encode("nameBytes");
        public static readonly JsonEncodedText Netns = JsonEncodedText.Encode("netns");
        public static readonly JsonEncodedText Peer = JsonEncodedText.Encode("peer");
        public static readonly JsonEncodedText Pending = JsonEncodedText.Encode("pending");
        public static readonly JsonEncodedText PendingCount = JsonEncodedText.Encode("pendingCount");
        public static readonly JsonEncodedText PendingOn = JsonEncodedText.Encode("pendingOn");
        public static readonly JsonEncodedText PendingPartial = JsonEncodedText.Encode("pendingPartial");
        public static readonly JsonEncodedText Pid = JsonEncodedText.Encode("pid");
        public static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
        public static readonly JsonEncodedText RecvQueue = JsonEncodedText.Encode("recvQueue");
        public static readonly JsonEncodedText SendQueue = JsonEncodedText.Encode("sendQueue");
        public static readonly JsonEncodedText Shutdown = JsonEncodedText.Encode("shutdown");
        public static readonly JsonEncodedText Socketpair = JsonEncodedText.Encode("socketpair");
        public static readonly JsonEncodedText State = JsonEncodedText.Encode("state");
        public static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
        public static readonly JsonEncodedText Uid = JsonEncodedText.Encode("uid");
        public static readonly JsonEncodedText Gid = JsonEncodedText.Encode("gid");
    }

    /// <summary>The enum values as encoded text, from the model's own ToText.</summary>
    private static class Values
    {
        private static readonly JsonEncodedText[] Types = Table<UnixSocketType>(t => t.ToText());
        private static readonly JsonEncodedText[] States = Table<UnixSocketState>(t => t.ToText());
        private static readonly JsonEncodedText[] Shutdowns = Table<ShutdownState>(t => t.ToText());
        private static readonly JsonEncodedText[] Statuses = Table<SocketFileStatus>(t => t.ToText());
        private static readonly JsonEncodedText[] Roles = Table<SocketRole>(t => t.ToText());

        public static JsonEncodedText Of(UnixSocketType v) => Types[(int)v];
        public static JsonEncodedText Of(UnixSocketState v) => States[(int)v];
        public static JsonEncodedText Of(ShutdownState v) => Shutdowns[(int)v];
        public static JsonEncodedText Of(SocketFileStatus v) => Statuses[(int)v];
        public static JsonEncodedText Of(SocketRole v) => Roles[(int)v];

        private static JsonEncodedText[] Table<T>(Func<T, string> text) where T : struct, Enum
        {
            var values = Enum.GetValues<T>();
            var table = new JsonEncodedText[values.Max(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)) + 1];
            foreach (var v in values)
            {
                table[Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)] = JsonEncodedText.Encode(text(v));
            }
            return table;
        }
    }

    /// <summary>One process object.</summary>
    public static void WriteProcess(Utf8JsonWriter w, ProcessInfo p) => WriteProcess(w, p, compact: false);

    /// <summary>One process object, in full or compact (see <see cref="OptionalFields"/>).</summary>
    internal static void WriteProcess(Utf8JsonWriter w, ProcessInfo p, bool compact)
    {
        var f = new OptionalFields(w, compact);
        w.WriteStartObject();
        w.WriteNumber(Names.Pid, p.Pid);
        w.WriteNumber(Names.PPid, p.PPid);
        w.WriteString(Names.Command, p.Command);
        if (f.Writes(p.CommandLine.Count))
        {
            w.WriteStartArray(Names.Cmdline);
            for (int i = 0; i < p.CommandLine.Count; i++)
            {
                w.WriteStringValue(p.CommandLine[i]);
            }
            w.WriteEndArray();
        }
        w.WriteNumber(Names.Uid, p.Uid);
        f.String(Names.User, p.User);
        f.Number(Names.Netns, p.NetNs);
        f.String(Names.NetnsName, p.NetNsName);
        if (p.Container is { } c)
        {
            w.WriteStartObject(Names.Container);
            w.WriteString(Names.Runtime, c.Runtime);
            w.WriteString(Names.Id, c.Id);
            w.WriteString(Names.Name, c.Name);
            w.WriteEndObject();
        }
        else
        {
            f.Null(Names.Container);
        }
        w.WriteEndObject();
    }
}
