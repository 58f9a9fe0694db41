using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Netlink;

namespace SockPeer.Collection;

/// <summary>
/// Warns when a namespace's dump returned far fewer sockets than the kernel counts in use there
/// (/proc/net/protocols, UNIX and UNIX-STREAM): a record too large for one reply ends a dump early
/// with no error, and this is the only sign of it. Sockets counted but never dumped are subtracted
/// first: pending server halves (no inode yet), made in their client's namespace, which is not the
/// listener's when a client from another namespace connects to a path, so counted where the client was
/// dumped; pending clients that closed (a 0 in the listener's list), held by their server half; and
/// sockets that closed while a survivor still points at them. Pure: works on the raw dump alone.
/// </summary>
internal static class CountCrossCheck
{
    /// <summary>One warning per namespace whose shortfall exceeds what churn explains.</summary>
    public static List<InventoryWarning> Check(RawDump dump)
    {
        var warnings = new List<InventoryWarning>();
        var uncounted = Uncounted(dump);
        foreach (var c in dump.Counts)
        {
            // With several namespaces dumped, say which one a shortfall is in.
            if (Shortfall(c, uncounted.GetValueOrDefault(c.NetNs ?? 0), dump.Counts.Count > 1 ? c.NetNs : null) is { } warning)
            {
                warnings.Add(warning);
            }
        }
        return warnings;
    }

    /// <summary>Per namespace (0 when unknown): sockets the kernel counts that no dump can return.</summary>
    internal static Dictionary<ulong, long> Uncounted(RawDump dump)
    {
        var embryos = new Dictionary<ulong, long>();
        var sockets = dump.Sockets;
        for (int i = 0; i < sockets.Count; i++)
        {
            var r = sockets[i].Record;
            if (r.State != UnixDiagState.Listen)
            {
                // Also counted but not dumped: a socket closed while a survivor still points at it (a
                // stream peer that closed, a datagram server that went away); the survivor reports peer 0.
                if (r.HasPeer && r.Peer == 0 && (r.Shutdown != 0 || r.Type == (byte)UnixSocketType.Dgram))
                {
                    ulong own = sockets[i].NetNs ?? 0;
                    embryos[own] = embryos.GetValueOrDefault(own) + 1;
                }
                continue;
            }
            long left = r.RQueue;
            long closed = 0;
            if (dump.Queues.Icons.TryGetValue(r.Inode, out uint[]? waiting))
            {
                foreach (uint c in waiting)
                {
                    if (left > 0 && c != 0 && dump.Index.TryGetValue(c, out int ci))
                    {
                        ulong clientNs = sockets[ci].NetNs ?? 0;
                        embryos[clientNs] = embryos.GetValueOrDefault(clientNs) + 1;
                        left--;
                    }
                    else if (c == 0)
                    {
                        closed++;
                    }
                }
            }
            ulong ns = sockets[i].NetNs ?? 0;
            embryos[ns] = embryos.GetValueOrDefault(ns) + left + closed;
        }
        return embryos;
    }

    /// <summary>The warning for one namespace, or null when its count is plausible or unknown.</summary>
    internal static InventoryWarning? Shortfall(NamespaceCount count, long uncounted, ulong? netns)
    {
        if (count.Before < 0 || count.After < 0)
        {
            return null;
        }
        long expected = Math.Min(count.Before, count.After) - uncounted;
        // Sockets opened and closed while the dump runs move the count both ways; truncation, the
        // failure this is here to catch, loses a whole tail of the table, far more than this margin.
        long margin = Math.Abs(count.After - count.Before) + Math.Max(16, count.Records / 100);
        long missing = expected - count.Records;
        if (missing <= margin)
        {
            return null;
        }
        return new InventoryWarning(WarningCode.CountMismatch, $"sock_diag returned {count.Records} sockets but the kernel counts about {expected} in use; "
            + $"up to {missing} may be missing from this snapshot" + (netns is null ? "" : $" (network namespace {netns})")) { NetNs = netns, Count = (int)Math.Min(missing, int.MaxValue) };
    }
}
