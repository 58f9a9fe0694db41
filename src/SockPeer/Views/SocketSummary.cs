using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Views;

/// <summary>One listener's accept queue use.</summary>
/// <param name="Listener">The listening socket.</param>
/// <param name="Pending">Connections waiting to be accepted.</param>
/// <param name="Backlog">The backlog limit.</param>
public sealed record ListenerFill(UnixSocket Listener, uint Pending, uint Backlog)
{
    /// <summary>The queue is full: further clients wait in connect() or fail (<see cref="UnixSocket.BacklogFull"/>).</summary>
    public bool Full => Listener.BacklogFull;
}

/// <summary>Counts of a set of sockets, like `ss -s`: by type and kind, queues in use, the fullest listeners.</summary>
public sealed record SocketSummary
{
    /// <summary>How many sockets.</summary>
    public int Total { get; init; }
    /// <summary>Sockets by type, then by kind (every socket counted, both ends of a connection).</summary>
    public IReadOnlyDictionary<UnixSocketType, IReadOnlyDictionary<SocketKind, int>> ByTypeAndKind { get; init; } = new Dictionary<UnixSocketType, IReadOnlyDictionary<SocketKind, int>>();
    /// <summary>Sockets with bytes (or connections) waiting in the receive queue.</summary>
    public int WithRecvQueue { get; init; }
    /// <summary>Sockets with bytes in the send queue (listeners left out: theirs is the backlog).</summary>
    public int WithSendQueue { get; init; }
    /// <summary>Sockets no visible process holds (in flight, or held by a process that could not be inspected).</summary>
    public int WithoutHolder { get; init; }
    /// <summary>Distinct network namespaces among the sockets (where known).</summary>
    public int NetNamespaces { get; init; }
    /// <summary>Listeners with the most connections waiting, fullest first (at most the number asked for).</summary>
    public IReadOnlyList<ListenerFill> FullestListeners { get; init; } = [];

    /// <summary>Counts <paramref name="sockets"/> (filtered by <paramref name="filter"/> when given).</summary>
    public static SocketSummary Of(SocketInventory inventory, IEnumerable<UnixSocket> sockets, SocketFilter? filter = null, int listeners = 5)
    {
        var byType = new Dictionary<UnixSocketType, Dictionary<SocketKind, int>>();
        var netns = new HashSet<ulong>();
        var fills = new List<ListenerFill>();
        int total = 0, recv = 0, send = 0, orphans = 0;
        foreach (var s in sockets)
        {
            if (filter is not null && !filter.Matches(inventory, s))
            {
                continue;
            }
            total++;
            var kind = SocketViews.Classify(inventory, s).Kind;
            if (!byType.TryGetValue(s.Type, out var kinds))
            {
                byType[s.Type] = kinds = [];
            }
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            if (s.RecvQueue > 0)
            {
                recv++;
            }
            if (s.SendQueue > 0 && s.Role != SocketRole.Listener)
            {
                send++;
            }
            if (s.Holders.Count == 0)
            {
                orphans++;
            }
            if (s.NetNs is ulong ns)
            {
                netns.Add(ns);
            }
            if (s.Role == SocketRole.Listener && s.PendingCount is uint pending)
            {
                fills.Add(new ListenerFill(s, pending, s.Backlog ?? 0));
            }
        }
        var fullest = fills
            .Where(f => f.Pending > 0)
            .OrderByDescending(f => f.Backlog == 0 ? 1.0 : (double)f.Pending / f.Backlog)
            .ThenByDescending(f => f.Pending)
            .ThenBy(f => f.Listener.Inode)
            .Take(listeners)
            .ToList();
        return new SocketSummary
        {
            Total = total,
            ByTypeAndKind = byType.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<SocketKind, int>)p.Value),
            WithRecvQueue = recv,
            WithSendQueue = send,
            WithoutHolder = orphans,
            NetNamespaces = netns.Count,
            FullestListeners = fullest,
        };
    }
}
