using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Endpoints;

/// <summary>
/// The endpoint kinds beside Unix sockets, as one pass of a snapshot: the inet dumps ride on each
/// namespace's sock_diag channel, the pipe, FIFO and pty links come from the one /proc walk
/// (<see cref="ProcScanner.Links"/>), and <see cref="Build"/> joins them. Not thread-safe.
/// </summary>
internal sealed class EndpointPass
{
    private readonly EndpointKinds _kinds;
    private readonly InetDiagDump _dump = new();
    private readonly List<(InetDiagRecord Record, ulong? NetNs)> _inet = [];

    /// <summary>A pass for <paramref name="kinds"/>.</summary>
    public EndpointPass(EndpointKinds kinds) => _kinds = kinds;

    /// <summary>The kinds this pass reads.</summary>
    public EndpointKinds Kinds => _kinds;

    /// <summary>Dumps the TCP and UDP sockets (IPv4 and IPv6) of the namespace <paramref name="channel"/> is bound to.</summary>
    public void DumpNamespace(IDiagChannel channel, ulong? netns, List<InventoryWarning> warnings)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(warnings);
        foreach (byte protocol in new[] { InetDiagRequest.Tcp, InetDiagRequest.Udp })
        {
            if ((_kinds & (protocol == InetDiagRequest.Tcp ? EndpointKinds.Tcp : EndpointKinds.Udp)) == 0)
            {
                continue;
            }
            uint states = protocol == InetDiagRequest.Tcp ? InetDiagRequest.TcpStates : InetDiagRequest.AllStates;
            foreach (byte family in new[] { InetDiagParser.FamilyInet, InetDiagParser.FamilyInet6 })
            {
                try
                {
                    foreach (var r in _dump.Dump(channel, family, protocol, states, warnings))
                    {
                        _inet.Add((r, netns));
                    }
                }
                catch (DiagUnavailableException e)
                {
                    // No inet_diag (or no udp_diag) module, or IPv6 off: that family's sockets are missing.
                    warnings.Add(new InventoryWarning(WarningCode.NamespaceNotDumped, $"{e.Message}; those sockets are missing" + (netns is ulong ns ? $" from network namespace {ns}" : "")) { NetNs = netns });
                }
            }
        }
    }

    /// <summary>Joins what the dumps and the fd walk found.</summary>
    public EndpointSet Build(FdScan? fds, List<InventoryWarning> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        var connections = new List<EndpointConnection>();
        var workers = fds?.Workers ?? [];
        var collectors = workers.Where(w => w.Links is not null).Select(w => w.Links!).ToList();
        if ((_kinds & EndpointKinds.Pipe) != 0)
        {
            AddPipes(collectors, connections);
        }
        if ((_kinds & EndpointKinds.Fifo) != 0)
        {
            AddFifos(collectors, connections);
        }
        if ((_kinds & EndpointKinds.Pty) != 0)
        {
            AddPtys(collectors, connections, warnings);
        }
        var inet = new List<InetSocketLink>();
        if ((_kinds & (EndpointKinds.Tcp | EndpointKinds.Udp)) != 0)
        {
            InetJoin.Join(_inet, workers, connections, inet);
        }
        _inet.Clear();
        return new EndpointSet(_kinds, connections, inet);
    }

    private static void AddPipes(List<EndpointLinkCollector> collectors, List<EndpointConnection> connections)
    {
        var byInode = new Dictionary<ulong, List<EndpointHolder>>();
        foreach (var c in collectors)
        {
            foreach (var p in c.Pipes)
            {
                Holders(byInode, p.Inode).Add(new EndpointHolder(p.Pid, p.Fd, p.Access));
            }
        }
        foreach (var (inode, holders) in byInode.OrderBy(kv => kv.Key))
        {
            connections.Add(new EndpointConnection(EndpointKind.Pipe, Ends(EndpointKind.Pipe, inode, null, null, Sorted(holders))));
        }
    }

    private static void AddFifos(List<EndpointLinkCollector> collectors, List<EndpointConnection> connections)
    {
        var byFile = new Dictionary<(uint, uint, ulong), (string Path, List<EndpointHolder> Holders)>();
        foreach (var c in collectors)
        {
            foreach (var f in c.Fifos)
            {
                var key = (f.Major, f.Minor, f.Inode);
                if (!byFile.TryGetValue(key, out var entry))
                {
                    byFile[key] = entry = (f.Path, []);
                }
                entry.Holders.Add(new EndpointHolder(f.Pid, f.Fd, f.Access));
            }
        }
        foreach (var ((major, minor, inode), entry) in byFile.OrderBy(kv => kv.Key.Item3))
        {
            connections.Add(new EndpointConnection(EndpointKind.Fifo, Ends(EndpointKind.Fifo, inode, entry.Path, $"{major}:{minor}", Sorted(entry.Holders))));
        }
    }

    /// <summary>ends[0] the writers (pipe) or write end, ends[1] the readers; a read-write holder is on both.</summary>
    private static List<Endpoint> Ends(EndpointKind kind, ulong inode, string? name, string? device, List<EndpointHolder> holders)
    {
        var write = holders.FindAll(h => (h.Access & EndpointAccess.Write) != 0);
        var read = holders.FindAll(h => (h.Access & EndpointAccess.Read) != 0);
        var ends = new List<Endpoint>(2);
        if (write.Count > 0)
        {
            ends.Add(new Endpoint { Kind = kind, Id = inode, Name = name, Device = device, State = "write", Holders = write });
        }
        if (read.Count > 0)
        {
            ends.Add(new Endpoint { Kind = kind, Id = inode, Name = name, Device = device, State = "read", Holders = read });
        }
        return ends;
    }

    private static void AddPtys(List<EndpointLinkCollector> collectors, List<EndpointConnection> connections, List<InventoryWarning> warnings)
    {
        var byIndex = new SortedDictionary<int, (List<EndpointHolder> Master, List<EndpointHolder> Slave)>();
        int withoutIndex = 0;
        foreach (var c in collectors)
        {
            withoutIndex += c.PtyMastersWithoutIndex;
            foreach (var p in c.Ptys)
            {
                if (!byIndex.TryGetValue(p.Index, out var sides))
                {
                    byIndex[p.Index] = sides = ([], []);
                }
                (p.Master ? sides.Master : sides.Slave).Add(new EndpointHolder(p.Pid, p.Fd, p.Access));
            }
        }
        if (withoutIndex > 0)
        {
            warnings.Add(new InventoryWarning(WarningCode.HoldersUnknown, $"{withoutIndex} pty master fd(s) showed no tty-index in fdinfo (kernel older than 4.19, or the fd closed meanwhile): their slaves are listed without them") { Count = withoutIndex });
        }
        foreach (var (index, sides) in byIndex)
        {
            string name = $"/dev/pts/{index}";
            var ends = new List<Endpoint>(2);
            if (sides.Master.Count > 0)
            {
                ends.Add(new Endpoint { Kind = EndpointKind.Pty, Id = (ulong)index, Name = name, State = "master", Holders = Sorted(sides.Master) });
            }
            if (sides.Slave.Count > 0)
            {
                ends.Add(new Endpoint { Kind = EndpointKind.Pty, Id = (ulong)index, Name = name, State = "slave", Holders = Sorted(sides.Slave) });
            }
            connections.Add(new EndpointConnection(EndpointKind.Pty, ends));
        }
    }

    private static List<EndpointHolder> Holders<TKey>(Dictionary<TKey, List<EndpointHolder>> map, TKey key) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }
        return list;
    }

    /// <summary>By pid and fd, without the duplicates of threads that share a table.</summary>
    internal static List<EndpointHolder> Sorted(List<EndpointHolder> holders)
    {
        holders.Sort((a, b) => a.Pid != b.Pid ? a.Pid.CompareTo(b.Pid) : a.Fd.CompareTo(b.Fd));
        var unique = new List<EndpointHolder>(holders.Count);
        foreach (var h in holders)
        {
            if (unique.Count == 0 || unique[^1].Pid != h.Pid || unique[^1].Fd != h.Fd)
            {
                unique.Add(h);
            }
        }
        return unique;
    }
}
