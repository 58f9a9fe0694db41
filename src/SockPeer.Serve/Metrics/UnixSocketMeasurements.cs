using System.Diagnostics.Metrics;
using System.Globalization;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Serve.Filters;

namespace SockPeer.Serve.Metrics;

/// <summary>
/// Every series of one snapshot, computed once (a pure function of the snapshot) so that each
/// exporter's read of the observable instruments is a copy of ready values. Labels name programs
/// and sockets, never pids or inodes, so series survive restarts. Cardinality is capped: past
/// <c>maxPaths</c> named listeners and datagram servers (in name order), the rest fold into
/// <c>path="(other)"</c> and <see cref="Folded"/> says how many.
/// </summary>
internal sealed class UnixSocketMeasurements
{
    public const string OtherPath = "(other)";

    public required Measurement<long>[] ListenerPending { get; init; }
    public required Measurement<long>[] ListenerBacklog { get; init; }
    public required Measurement<long>[] ListenerConnections { get; init; }
    public required Measurement<long>[] ListenerFileGone { get; init; }
    public required Measurement<long>[] Connections { get; init; }
    public required Measurement<long>[] QueueBytes { get; init; }
    public required Measurement<long>[] Sockets { get; init; }
    public required Measurement<long>[] Warnings { get; init; }
    public required long SocketPairs { get; init; }
    public required long InFlight { get; init; }
    public required long ProcessesUninspected { get; init; }
    public required long Folded { get; init; }

    private static readonly string[] ListenerLabels = ["path", "netns", "type", "process", "container"];

    public static UnixSocketMeasurements From(SocketInventory inventory, ListFilter filter, int maxPaths)
    {
        var (sockets, _) = filter.Apply(inventory);
        var names = new HolderNames(inventory);

        // Which servers keep their own path label: listeners and named datagram servers, in name order.
        var servers = new List<UnixSocket>();
        foreach (var s in sockets)
        {
            if (s.Role == SocketRole.Listener || (s.Role == SocketRole.DatagramServer && s.Clients.Count > 0 && s.Name is not null))
            {
                servers.Add(s);
            }
        }
        servers.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.Name, b.Name);
            return c != 0 ? c : Nullable.Compare(a.NetNs, b.NetNs) is int n and not 0 ? n : a.Inode.CompareTo(b.Inode);
        });
        var pathOf = new Dictionary<uint, string>(servers.Count);
        var keptPaths = new HashSet<string>(StringComparer.Ordinal);
        long folded = 0;
        foreach (var s in servers)
        {
            string path = s.Name ?? "";
            if (keptPaths.Contains(path) || keptPaths.Count < maxPaths)
            {
                keptPaths.Add(path);
                pathOf[s.Inode] = path;
            }
            else
            {
                pathOf[s.Inode] = OtherPath;
                folded++;
            }
        }

        var pending = new Series();
        var backlog = new Series();
        var accepted = new Series();
        var fileGone = new Series();
        var listenerKeys = new Dictionary<uint, string[]>();
        foreach (var s in servers)
        {
            if (s.Role != SocketRole.Listener)
            {
                continue;
            }
            string path = pathOf[s.Inode];
            string[] key = path == OtherPath
                ? [OtherPath, "", "", "", ""]
                : [path, s.NetNs?.ToString(CultureInfo.InvariantCulture) ?? "", s.Type.ToText(), names.Commands(s), names.Container(s)];
            listenerKeys[s.Inode] = key;
            pending.Add(key, s.PendingCount ?? s.RecvQueue);
            backlog.Add(key, s.Backlog ?? s.SendQueue);
            accepted.Add(key, 0);
            if (s.File is { Status: SocketFileStatus.Deleted or SocketFileStatus.Replaced } file)
            {
                fileGone.Add([.. key, file.Status.ToText()], 1);
            }
        }

        var connections = new Series();
        var queue = new Series();
        var byType = new Series();
        long pairEnds = 0, inFlight = 0;
        foreach (var s in sockets)
        {
            byType.Add([s.Type.ToText(), s.State.ToText()], 1);
            if (s.IsSocketPair)
            {
                pairEnds++;
            }
            if (s.InFlight)
            {
                inFlight++;
            }
            // A connection, from its server end: counted on its listener while that listens, under the
            // name the server end carries (its listener's) once the listener has closed.
            if (s.Role == SocketRole.Server)
            {
                var peer = s.Peer is uint p and not 0 ? inventory.Find(p) : null;
                UnixSocket holderOfServer = s;
                string path;
                if (s.Listener is uint l && listenerKeys.TryGetValue(l, out var lkey) && inventory.Find(l) is { } listener)
                {
                    accepted.Add(lkey, 1);
                    path = pathOf[l];
                    holderOfServer = s.Holders.Count > 0 ? s : listener;
                }
                else if (s.Name is { } name && (keptPaths.Contains(name) || keptPaths.Count < maxPaths))
                {
                    keptPaths.Add(name);
                    path = name;
                }
                else
                {
                    path = OtherPath;
                }
                connections.Add([path, names.Commands(holderOfServer), peer is null ? "" : names.Commands(peer)], 1);
                queue.Add([path, "recv"], s.RecvQueue);
                queue.Add([path, "send"], peer?.RecvQueue ?? 0);
            }
            // A datagram server: each socket connected to it is a client.
            if (s.Role == SocketRole.DatagramServer && s.Clients.Count > 0 && pathOf.TryGetValue(s.Inode, out var dpath))
            {
                foreach (var c in s.Clients)
                {
                    connections.Add([dpath, names.Commands(s), inventory.Find(c) is { } client ? names.Commands(client) : ""], 1);
                }
                queue.Add([dpath, "recv"], s.RecvQueue);
                queue.Add([dpath, "send"], 0);
            }
        }

        var warnings = new Series();
        foreach (var code in Enum.GetValues<WarningCode>())
        {
            warnings.Add([code.ToText()], 0);
        }
        foreach (var w in inventory.WarningDetails)
        {
            warnings.Add([w.Code.ToText()], 1);
        }

        return new UnixSocketMeasurements
        {
            ListenerPending = pending.ToMeasurements(ListenerLabels),
            ListenerBacklog = backlog.ToMeasurements(ListenerLabels),
            ListenerConnections = accepted.ToMeasurements(ListenerLabels),
            ListenerFileGone = fileGone.ToMeasurements([.. ListenerLabels, "status"]),
            Connections = connections.ToMeasurements(["path", "server", "client"]),
            QueueBytes = queue.ToMeasurements(["path", "direction"]),
            Sockets = byType.ToMeasurements(["type", "state"]),
            Warnings = warnings.ToMeasurements(["code"]),
            SocketPairs = (pairEnds + 1) / 2,
            InFlight = inFlight,
            ProcessesUninspected = inventory.ProcessesNotInspected,
            Folded = folded,
        };
    }

    /// <summary>Values summed by label values: two sockets with the same labels are one series.</summary>
    private sealed class Series
    {
        private readonly Dictionary<string, (string[] Labels, long Value)> _byKey = new(StringComparer.Ordinal);

        public void Add(string[] labels, long value)
        {
            string key = string.Join('\0', labels);
            _byKey[key] = _byKey.TryGetValue(key, out var old) ? (old.Labels, old.Value + value) : (labels, value);
        }

        public Measurement<long>[] ToMeasurements(string[] names)
        {
            var keys = _byKey.Keys.ToArray();
            Array.Sort(keys, StringComparer.Ordinal);
            var result = new Measurement<long>[keys.Length];
            for (int i = 0; i < keys.Length; i++)
            {
                var (labels, value) = _byKey[keys[i]];
                var tags = new KeyValuePair<string, object?>[names.Length];
                for (int j = 0; j < names.Length; j++)
                {
                    tags[j] = new(names[j], labels[j]);
                }
                result[i] = new Measurement<long>(value, tags);
            }
            return result;
        }
    }

    /// <summary>The programs holding a socket, as labels: commands, distinct and sorted, joined with ','.</summary>
    internal sealed class HolderNames(SocketInventory inventory)
    {
        private readonly Dictionary<uint, string> _commands = [];

        public string Commands(UnixSocket s)
        {
            if (_commands.TryGetValue(s.Inode, out var cached))
            {
                return cached;
            }
            string text = Of(inventory, s);
            _commands[s.Inode] = text;
            return text;
        }

        /// <summary>The label of one socket's holders, without the cache (for callers outside a snapshot's measurements).</summary>
        public static string Of(SocketInventory inventory, UnixSocket s)
        {
            if (s.Holders.Count == 1)
            {
                return inventory.FindProcess(s.Holders[0].Pid)?.Command ?? "";
            }
            var set = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var h in s.Holders)
            {
                if (inventory.FindProcess(h.Pid) is { } p)
                {
                    set.Add(p.Command);
                }
            }
            return string.Join(',', set);
        }

        public string Container(UnixSocket s)
        {
            foreach (var h in s.Holders)
            {
                if (inventory.FindProcess(h.Pid)?.Container is { } c)
                {
                    return c.Name ?? c.Id ?? c.Runtime;
                }
            }
            return "";
        }
    }
}
