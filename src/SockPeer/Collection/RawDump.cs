using SockPeer.Inventory;
using SockPeer.Netlink;

namespace SockPeer.Collection;

// The data the collection passes hand to the joins: records as the kernel gave them, immutable, each
// with the namespace whose dump produced it (a socket's namespace is only known from that).

/// <summary>One dumped record and the network namespace it was dumped in.</summary>
/// <param name="Record">What sock_diag (or /proc/net/unix) said of the socket.</param>
/// <param name="NetNs">The namespace of the dump that produced it, when known.</param>
internal readonly record struct RawSocket(UnixDiagRecord Record, ulong? NetNs)
{
    /// <summary>Set by torn-read mending: the peer and state were completed from the other end.</summary>
    public bool PeerMended { get; init; }

    /// <summary>A server end accepted after the main dump, found by the pending recheck (see <see cref="NamespaceDump.AcceptedSince"/>).</summary>
    public bool AcceptedDuringDump { get; init; }
}

/// <summary>One namespace's dump size and the kernel's count of sockets in use just before and after it (-1: unknown).</summary>
internal readonly record struct NamespaceCount(ulong? NetNs, int Records, long Before, long After);

/// <summary>Pending clients per listener, from the listener dump.</summary>
/// <param name="Icons">Listener inode → the inodes in its accept queue (0 for clients that closed).</param>
/// <param name="Partial">Listeners whose list could not be read whole.</param>
internal sealed record ListenerQueues(IReadOnlyDictionary<uint, uint[]> Icons, IReadOnlySet<uint> Partial)
{
    /// <summary>No listener, or none read.</summary>
    public static readonly ListenerQueues None = new(new Dictionary<uint, uint[]>(), new HashSet<uint>());
}

/// <summary>What one namespace's dumps returned.</summary>
/// <param name="NetNs">The namespace.</param>
/// <param name="Records">Every socket, absent peers that were recovered included.</param>
/// <param name="Queues">Listeners' pending clients.</param>
/// <param name="Count">The dump size against the kernel's count, for the count check.</param>
/// <param name="Warnings">Every warning of every dump and query made in it.</param>
internal sealed record NamespaceDump(ulong? NetNs, IReadOnlyList<UnixDiagRecord> Records, ListenerQueues Queues, NamespaceCount Count, IReadOnlyList<InventoryWarning> Warnings)
{
    /// <summary>Server ends of clients accepted while the namespace was dumped, added by the pending recheck.</summary>
    public IReadOnlyList<uint> AcceptedSince { get; init; } = [];
}

/// <summary>Every namespace's records together: what the joins work on.</summary>
internal sealed class RawDump
{
    /// <summary>Combines the sockets with the listener queues and counts of all namespaces.</summary>
    public RawDump(IReadOnlyList<RawSocket> sockets, ListenerQueues queues, IReadOnlyList<NamespaceCount> counts, bool peersKnown)
    {
        Sockets = sockets;
        Queues = queues;
        Counts = counts;
        PeersKnown = peersKnown;
        Index = new Dictionary<uint, int>(sockets.Count);
        for (int i = 0; i < sockets.Count; i++)
        {
            Index[sockets[i].Record.Inode] = i;
        }
    }

    /// <summary>Every socket, in dump order.</summary>
    public IReadOnlyList<RawSocket> Sockets { get; }
    /// <summary>Pending clients of every listener.</summary>
    public ListenerQueues Queues { get; }
    /// <summary>One per namespace dumped through sock_diag.</summary>
    public IReadOnlyList<NamespaceCount> Counts { get; }
    /// <summary>False when sockets came from /proc/net/unix, which knows no peers.</summary>
    public bool PeersKnown { get; }
    /// <summary>Socket inode → position in <see cref="Sockets"/>. Never written after construction.</summary>
    public Dictionary<uint, int> Index { get; }

    /// <summary>The same dump with other sockets at the same positions (the index stays valid: inodes do not change).</summary>
    public RawDump WithSockets(IReadOnlyList<RawSocket> sockets) => new(this, sockets);

    private RawDump(RawDump from, IReadOnlyList<RawSocket> sockets)
    {
        Sockets = sockets;
        Queues = from.Queues;
        Counts = from.Counts;
        PeersKnown = from.PeersKnown;
        Index = from.Index;
    }
}

/// <summary>
/// Puts namespace dumps together into a <see cref="RawDump"/>; later passes that dump more namespaces
/// start from an existing one, which is neither copied nor rebuilt unless they add to it (on a host of
/// 40,000 sockets a copy is 2 MiB of records and index held twice at the snapshot's peak).
/// </summary>
internal sealed class RawDumpBuilder
{
    private readonly RawDump? _base;
    // What was added, in order; the sockets are laid out once, in Build (a list grown here and then
    // copied was 1.3 MiB of garbage on 40,000 sockets).
    private readonly List<(NamespaceDump? Dump, RawSocket Single)> _parts = [];
    private int _added;
    private readonly Dictionary<uint, uint[]> _icons = [];
    private readonly HashSet<uint> _partial = [];
    private readonly List<NamespaceCount> _counts = [];

    /// <summary>An empty builder.</summary>
    public RawDumpBuilder()
    {
    }

    /// <summary>A builder holding everything <paramref name="dump"/> holds.</summary>
    public RawDumpBuilder(RawDump dump) => _base = dump;

    /// <summary>Inodes of every socket added since the builder was made (those of the dump it started from are not listed).</summary>
    public IEnumerable<uint> AddedInodes => _parts.SelectMany(p => p.Dump is { } d ? d.Records.Select(r => r.Inode) : [p.Single.Record.Inode]);

    /// <summary>Adds one namespace's records, queues and count (its warnings are the caller's to return).</summary>
    public void Add(NamespaceDump d)
    {
        _parts.Add((d, default));
        _added += d.Records.Count;
        foreach (var (inode, queue) in d.Queues.Icons)
        {
            _icons[inode] = queue;
        }
        _partial.UnionWith(d.Queues.Partial);
        _counts.Add(d.Count);
    }

    /// <summary>Adds one record found outside a namespace dump (the fallback, a lookup by inode).</summary>
    public void Add(UnixDiagRecord record, ulong? netns)
    {
        _parts.Add((null, new RawSocket(record, netns)));
        _added++;
    }

    /// <summary>The dump as built so far: the one it started from, unchanged, when nothing was added.</summary>
    public RawDump Build(bool peersKnown)
    {
        if (_base is { } b && _added == 0 && _icons.Count == 0 && _partial.Count == 0 && _counts.Count == 0 && b.PeersKnown == peersKnown)
        {
            return b;
        }
        var sockets = new RawSocket[(_base?.Sockets.Count ?? 0) + _added];
        int n = 0;
        if (_base is not null)
        {
            foreach (var s in _base.Sockets)
            {
                sockets[n++] = s;
            }
        }
        foreach (var (d, single) in _parts)
        {
            if (d is null)
            {
                sockets[n++] = single;
                continue;
            }
            var acceptedSince = d.AcceptedSince.Count == 0 ? null : d.AcceptedSince.ToHashSet();
            foreach (var r in d.Records)
            {
                sockets[n++] = new RawSocket(r, d.NetNs) { AcceptedDuringDump = acceptedSince?.Contains(r.Inode) == true };
            }
        }
        var icons = new Dictionary<uint, uint[]>();
        var partial = new HashSet<uint>();
        var counts = new List<NamespaceCount>();
        if (_base is not null)
        {
            foreach (var (inode, queue) in _base.Queues.Icons)
            {
                icons[inode] = queue;
            }
            partial.UnionWith(_base.Queues.Partial);
            counts.AddRange(_base.Counts);
        }
        foreach (var (inode, queue) in _icons)
        {
            icons[inode] = queue;
        }
        partial.UnionWith(_partial);
        counts.AddRange(_counts);
        return new(sockets, new ListenerQueues(icons, partial), counts.ToArray(), peersKnown);
    }
}
