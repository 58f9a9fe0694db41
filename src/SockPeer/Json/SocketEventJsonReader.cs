using System.Globalization;
using System.Text.Json;
using SockPeer.Events;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Proc;

namespace SockPeer.Json;

/// <summary>
/// The inverse of <see cref="SocketEventJsonWriter"/>: one watch line (schema 1) back into a
/// <see cref="SocketEvent"/>, so a stored line prints through the same renderer and passes through the
/// same filters as a live one. Its <see cref="SocketEvent.Snapshot"/> is a small snapshot of the sockets
/// and processes the line carries (what list's filters look up). A forward-only <see cref="Utf8JsonReader"/>,
/// no reflection; properties it does not know are skipped, so a newer writer's additions read.
/// </summary>
public static class SocketEventJsonReader
{
    /// <summary>
    /// Reads one line; false, with <paramref name="error"/>, when it is not a schema-1 watch event.
    /// The time keeps the line's millisecond precision.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> line, out SocketEvent? socketEvent, out string? error)
    {
        socketEvent = null;
        try
        {
            var r = new Utf8JsonReader(line, new JsonReaderOptions { AllowTrailingCommas = false });
            socketEvent = ReadEvent(ref r);
            error = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            error = e.Message;
            return false;
        }
    }

    private static SocketEvent ReadEvent(ref Utf8JsonReader r)
    {
        Expect(ref r, JsonTokenType.StartObject);
        int schema = 0;
        DateTimeOffset? time = null;
        SocketEventKind? kind = null;
        string source = "poll";
        string? message = null, code = null;
        UnixSocket? socket = null, peer = null, listener = null;
        var processes = new List<ProcessInfo>();
        TimeSpan? observed = null;
        BacklogState? backlog = null;
        IReadOnlyList<SocketHolder> gained = [], lost = [];
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            Next(ref r);
            switch (name)
            {
                case "schema": schema = r.GetInt32(); break;
                case "time": time = DateTimeOffset.Parse(r.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal); break;
                case "event": kind = Kind(r.GetString()!); break;
                case "source": source = r.GetString() ?? "poll"; break;
                case "message": message = r.GetString(); break;
                case "code": code = r.GetString(); break;
                case "socket": socket = SocketOrNull(ref r); break;
                case "peer": peer = SocketOrNull(ref r); break;
                case "listener": listener = SocketOrNull(ref r); break;
                case "processes":
                    Require(ref r, JsonTokenType.StartArray);
                    while (Next(ref r) != JsonTokenType.EndArray)
                    {
                        processes.Add(Process(ref r));
                    }
                    break;
                case "observedFor":
                    observed = r.TokenType == JsonTokenType.Null ? null : TimeSpan.FromSeconds(r.GetDouble());
                    break;
                case "backlog": backlog = r.TokenType == JsonTokenType.Null ? null : Backlog(ref r); break;
                case "holders":
                    if (r.TokenType != JsonTokenType.Null)
                    {
                        (gained, lost) = HolderChanges(ref r);
                    }
                    break;
                default: r.Skip(); break;
            }
        }
        if (schema != SchemaJsonWriter.SchemaVersion || time is null || kind is null)
        {
            throw new FormatException(schema != SchemaJsonWriter.SchemaVersion ? $"schema {schema}, not {SchemaJsonWriter.SchemaVersion}" : "no time or event");
        }
        List<UnixSocket> sockets = [];
        foreach (var s in (UnixSocket?[])[socket, peer, listener])
        {
            if (s is not null && !sockets.Exists(x => x.Inode == s.Inode))
            {
                sockets.Add(s);
            }
        }
        return new SocketEvent(kind.Value, time.Value)
        {
            Source = source,
            Message = message,
            Code = code,
            Socket = socket,
            Peer = peer,
            Listener = listener,
            Processes = processes,
            ObservedFor = observed,
            Backlog = backlog,
            HoldersGained = gained,
            HoldersLost = lost,
            Snapshot = kind == SocketEventKind.Warning ? null : new SocketInventory(sockets, processes, [], peersKnown: true),
        };
    }

    private static SocketEventKind Kind(string text)
    {
        foreach (var k in Enum.GetValues<SocketEventKind>())
        {
            if (k.ToText() == text)
            {
                return k;
            }
        }
        throw new FormatException($"unknown event '{text}'");
    }

    private static UnixSocket? SocketOrNull(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : Socket(ref r);

    private static UnixSocket Socket(ref Utf8JsonReader r)
    {
        Require(ref r, JsonTokenType.StartObject);
        uint inode = 0;
        ulong cookie = 0;
        ulong? netns = null;
        string? netnsName = null;
        var type = UnixSocketType.Unknown;
        var state = UnixSocketState.Unconnected;
        var role = SocketRole.Unconnected;
        var shutdown = ShutdownState.None;
        byte[]? nameBytes = null;
        SocketFile? file = null;
        uint? peer = null, listener = null, pendingCount = null, backlog = null, uid = null, inFlightOn = null, pendingOn = null;
        IReadOnlyList<uint> pending = [], clients = [];
        uint recvQueue = 0, sendQueue = 0;
        var holders = new List<SocketHolder>();
        bool socketpair = false, awaiting = false, partial = false, inFlight = false;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            Next(ref r);
            switch (name)
            {
                case "inode": inode = r.GetUInt32(); break;
                case "cookie": cookie = r.GetUInt64(); break;
                case "netns": netns = r.TokenType == JsonTokenType.Null ? null : r.GetUInt64(); break;
                case "netnsName": netnsName = r.GetString(); break;
                case "type": type = Parse<UnixSocketType>(r.GetString()!, v => v.ToText()); break;
                case "state": state = Parse<UnixSocketState>(r.GetString()!, v => v.ToText()); break;
                case "role": role = Parse<SocketRole>(r.GetString()!, v => v.ToText()); break;
                case "shutdown": shutdown = Parse<ShutdownState>(r.GetString()!, v => v.ToText()); break;
                case "nameBytes": nameBytes = r.TokenType == JsonTokenType.Null ? null : r.GetBytesFromBase64(); break;
                case "file": file = r.TokenType == JsonTokenType.Null ? null : File(ref r); break;
                case "peer": peer = UIntOrNull(ref r); break;
                case "listener": listener = UIntOrNull(ref r); break;
                case "pending": pending = Inodes(ref r); break;
                case "pendingCount": pendingCount = UIntOrNull(ref r); break;
                case "backlog": backlog = UIntOrNull(ref r); break;
                case "recvQueue": recvQueue = r.GetUInt32(); break;
                case "sendQueue": sendQueue = r.GetUInt32(); break;
                case "uid": uid = UIntOrNull(ref r); break;
                case "holders":
                    Require(ref r, JsonTokenType.StartArray);
                    while (Next(ref r) != JsonTokenType.EndArray)
                    {
                        holders.Add(Holder(ref r));
                    }
                    break;
                case "inFlightOn": inFlightOn = UIntOrNull(ref r); break;
                case "socketpair": socketpair = r.GetBoolean(); break;
                case "pendingOn": pendingOn = UIntOrNull(ref r); break;
                case "awaitingAccept": awaiting = r.GetBoolean(); break;
                case "pendingPartial": partial = r.GetBoolean(); break;
                case "clients": clients = Inodes(ref r); break;
                case "inFlight": inFlight = r.GetBoolean(); break;
                default: r.Skip(); break; // name (from nameBytes), abstract, backlogFull: derived
            }
        }
        return new UnixSocket
        {
            Inode = inode,
            Cookie = cookie,
            NetNs = netns,
            NetNsName = netnsName,
            Type = type,
            Role = role,
            State = state,
            NameBytes = nameBytes,
            File = file,
            Peer = peer,
            Listener = listener,
            PendingOn = pendingOn,
            AwaitingAccept = awaiting,
            Pending = pending,
            PendingCount = pendingCount,
            PendingPartial = partial,
            Backlog = backlog,
            Clients = clients,
            IsSocketPair = socketpair,
            RecvQueue = recvQueue,
            SendQueue = sendQueue,
            Shutdown = shutdown,
            Uid = uid,
            Holders = holders,
            InFlight = inFlight,
            InFlightOn = inFlightOn,
        };
    }

    private static SocketFile File(ref Utf8JsonReader r)
    {
        Require(ref r, JsonTokenType.StartObject);
        uint major = 0, minor = 0;
        ulong inode = 0;
        var status = SocketFileStatus.Unknown;
        string? resolved = null;
        ushort? mode = null;
        uint? uid = null, gid = null;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            Next(ref r);
            switch (name)
            {
                case "device":
                    string device = r.GetString()!;
                    int colon = device.IndexOf(':', StringComparison.Ordinal);
                    major = uint.Parse(device.AsSpan(0, colon), CultureInfo.InvariantCulture);
                    minor = uint.Parse(device.AsSpan(colon + 1), CultureInfo.InvariantCulture);
                    break;
                case "inode": inode = r.GetUInt64(); break;
                case "status": status = Parse<SocketFileStatus>(r.GetString()!, v => v.ToText()); break;
                case "resolvedPath": resolved = r.GetString(); break;
                case "mode": mode = r.TokenType == JsonTokenType.Null ? null : Convert.ToUInt16(r.GetString(), 8); break;
                case "uid": uid = UIntOrNull(ref r); break;
                case "gid": gid = UIntOrNull(ref r); break;
                default: r.Skip(); break;
            }
        }
        return new SocketFile(major, minor, inode, status) { ResolvedPath = resolved, Mode = mode, Uid = uid, Gid = gid };
    }

    private static ProcessInfo Process(ref Utf8JsonReader r)
    {
        Require(ref r, JsonTokenType.StartObject);
        int pid = 0, ppid = 0;
        string command = "";
        var cmdline = new List<string>();
        uint uid = 0;
        string? user = null, netnsName = null;
        ulong? netns = null;
        ContainerInfo? container = null;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            Next(ref r);
            switch (name)
            {
                case "pid": pid = r.GetInt32(); break;
                case "ppid": ppid = r.GetInt32(); break;
                case "command": command = r.GetString() ?? ""; break;
                case "cmdline":
                    Require(ref r, JsonTokenType.StartArray);
                    while (Next(ref r) != JsonTokenType.EndArray)
                    {
                        cmdline.Add(r.GetString() ?? "");
                    }
                    break;
                case "uid": uid = r.GetUInt32(); break;
                case "user": user = r.GetString(); break;
                case "netns": netns = r.TokenType == JsonTokenType.Null ? null : r.GetUInt64(); break;
                case "netnsName": netnsName = r.GetString(); break;
                case "container": container = r.TokenType == JsonTokenType.Null ? null : Container(ref r); break;
                default: r.Skip(); break;
            }
        }
        return new ProcessInfo { Pid = pid, PPid = ppid, Command = command, CommandLine = cmdline, Uid = uid, User = user, NetNs = netns, NetNsName = netnsName, Container = container };
    }

    private static ContainerInfo Container(ref Utf8JsonReader r)
    {
        Require(ref r, JsonTokenType.StartObject);
        string runtime = "";
        string? id = null, name = null;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            string property = r.GetString()!;
            Next(ref r);
            switch (property)
            {
                case "runtime": runtime = r.GetString() ?? ""; break;
                case "id": id = r.GetString(); break;
                case "name": name = r.GetString(); break;
                default: r.Skip(); break;
            }
        }
        return new ContainerInfo(runtime, id, name);
    }

    private static BacklogState Backlog(ref Utf8JsonReader r)
    {
        Require(ref r, JsonTokenType.StartObject);
        uint pending = 0, limit = 0;
        bool full = false;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            Next(ref r);
            switch (name)
            {
                case "pending": pending = r.GetUInt32(); break;
                case "limit": limit = r.GetUInt32(); break;
                case "full": full = r.GetBoolean(); break;
                default: r.Skip(); break;
            }
        }
        return new BacklogState(pending, limit, full);
    }

    private static (IReadOnlyList<SocketHolder> Gained, IReadOnlyList<SocketHolder> Lost) HolderChanges(ref Utf8JsonReader r)
    {
        Require(ref r, JsonTokenType.StartObject);
        var gained = new List<SocketHolder>();
        var lost = new List<SocketHolder>();
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            Next(ref r);
            var list = name switch { "gained" => gained, "lost" => lost, _ => null };
            if (list is null)
            {
                r.Skip();
                continue;
            }
            Require(ref r, JsonTokenType.StartArray);
            while (Next(ref r) != JsonTokenType.EndArray)
            {
                list.Add(Holder(ref r));
            }
        }
        return (gained, lost);
    }

    private static SocketHolder Holder(ref Utf8JsonReader r)
    {
        Require(ref r, JsonTokenType.StartObject);
        int pid = 0, fd = 0;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            Next(ref r);
            switch (name)
            {
                case "pid": pid = r.GetInt32(); break;
                case "fd": fd = r.GetInt32(); break;
                default: r.Skip(); break;
            }
        }
        return new SocketHolder(pid, fd);
    }

    private static List<uint> Inodes(ref Utf8JsonReader r)
    {
        Require(ref r, JsonTokenType.StartArray);
        var list = new List<uint>();
        while (Next(ref r) != JsonTokenType.EndArray)
        {
            list.Add(r.GetUInt32());
        }
        return list;
    }

    private static uint? UIntOrNull(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetUInt32();

    private static T Parse<T>(string text, Func<T, string> toText) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
        {
            if (toText(v) == text)
            {
                return v;
            }
        }
        throw new FormatException($"unknown {typeof(T).Name} '{text}'");
    }

    private static JsonTokenType Next(ref Utf8JsonReader r)
    {
        if (!r.Read())
        {
            throw new JsonException("the line ends early");
        }
        return r.TokenType;
    }

    private static void Expect(ref Utf8JsonReader r, JsonTokenType type)
    {
        Next(ref r);
        Require(ref r, type);
    }

    private static void Require(ref Utf8JsonReader r, JsonTokenType type)
    {
        if (r.TokenType != type)
        {
            throw new JsonException($"expected {type}, found {r.TokenType}");
        }
    }
}
