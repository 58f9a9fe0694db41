using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Endpoints.Families;

/// <summary>
/// The table of the endpoint families one reader was asked for (lsfd's <c>sock_xinfo_class</c> list),
/// in the order their connections are listed: pipes, FIFOs, ptys, TCP, UDP. Every namespace source
/// calls <see cref="DumpNamespace"/> for every namespace it dumps; the reader joins what they returned
/// once the fd walk is done. With no kind asked for (the default, AF_UNIX only) the table is empty and
/// costs nothing. Not thread-safe: the families keep their receive buffers between snapshots.
/// </summary>
internal sealed class EndpointFamilies
{
    private readonly IEndpointFamily[] _families;

    /// <summary>The families of <paramref name="kinds"/>.</summary>
    public EndpointFamilies(EndpointKinds kinds)
    {
        Kinds = kinds;
        var families = new List<IEndpointFamily>(5);
        if ((kinds & EndpointKinds.Pipe) != 0)
        {
            families.Add(new PipeFamily());
        }
        if ((kinds & EndpointKinds.Fifo) != 0)
        {
            families.Add(new FifoFamily());
        }
        if ((kinds & EndpointKinds.Pty) != 0)
        {
            families.Add(new PtyFamily());
        }
        if ((kinds & EndpointKinds.Tcp) != 0)
        {
            families.Add(InetFamily.Tcp());
        }
        if ((kinds & EndpointKinds.Udp) != 0)
        {
            families.Add(InetFamily.Udp());
        }
        _families = [.. families];
    }

    /// <summary>The kinds asked for.</summary>
    public EndpointKinds Kinds { get; }

    /// <summary>Whether any family was asked for.</summary>
    public bool Any => _families.Length > 0;

    /// <summary>Every family's dump of the namespace <paramref name="channel"/> is bound to (none when no family was asked for).</summary>
    public IReadOnlyList<FamilyDump> DumpNamespace(IDiagChannel channel, ulong? netns)
    {
        if (_families.Length == 0)
        {
            return [];
        }
        var dumps = new FamilyDump[_families.Length];
        for (int i = 0; i < _families.Length; i++)
        {
            dumps[i] = _families[i].Dump(channel, netns);
        }
        return dumps;
    }

    /// <summary>Joins every family's dumps (from every namespace source) with the fd walk; null when no family was asked for.</summary>
    public EndpointJoin? Join(IReadOnlyList<FamilyDump> dumps, FdScan? fds)
    {
        if (_families.Length == 0)
        {
            return null;
        }
        var connections = new List<EndpointConnection>();
        var sockets = new List<InetSocketLink>();
        var warnings = new List<InventoryWarning>();
        foreach (var family in _families)
        {
            var mine = dumps.Where(d => d.Kind == family.Kind).ToList();
            FamilyJoin joined = family.Join(mine, fds);
            connections.AddRange(joined.Connections);
            sockets.AddRange(joined.Sockets);
            warnings.AddRange(joined.Warnings);
        }
        return new EndpointJoin(new EndpointSet(Kinds, connections, sockets), warnings);
    }

    /// <summary>The walk's non-socket links, one collector per walk thread.</summary>
    internal static IEnumerable<EndpointLinkCollector> Collectors(FdScan? fds)
        => fds is null ? [] : fds.Workers.Where(w => w.Links is not null).Select(w => w.Links!);

    /// <summary>ends[0] the writers (pipe) or write end, ends[1] the readers; a read-write holder is on both.</summary>
    internal static List<Endpoint> Ends(EndpointKind kind, ulong inode, string? name, string? device, List<EndpointHolder> holders)
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

/// <summary>The endpoints of one snapshot and the warnings of their joins.</summary>
internal sealed record EndpointJoin(EndpointSet Set, IReadOnlyList<InventoryWarning> Warnings);
