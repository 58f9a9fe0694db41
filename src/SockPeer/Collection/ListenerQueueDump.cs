using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Netlink;

namespace SockPeer.Collection;

/// <summary>
/// Reads the accept queues (pending clients) of listeners in a second dump of listeners only. A
/// listener with thousands of pending clients makes a record too large for one reply, and the kernel
/// then ends the dump early without an error: asked in the main dump, it would cut off every socket
/// after it. Listeners this dump skipped are asked for one by one.
/// </summary>
internal static class ListenerQueueDump
{
    /// <summary>What the listener dump shows: the queue and its length and limit.</summary>
    internal const UnixDiagShow ListenerShow = UnixDiagShow.Icons | UnixDiagShow.RqLen;

    /// <summary>The pending clients of every listener among <paramref name="records"/>.</summary>
    public static ListenerQueues Read(IDiagChannel channel, DiagDump dump, IReadOnlyList<UnixDiagRecord> records, List<InventoryWarning> warnings)
    {
        int listeners = 0;
        foreach (var r in records)
        {
            if (r.State == UnixDiagState.Listen)
            {
                listeners++;
            }
        }
        if (listeners == 0)
        {
            return ListenerQueues.None;
        }
        DiagDumpResult result;
        try
        {
            result = dump.Dump(channel, UnixDiagState.ListenOnly, ListenerShow);
            warnings.AddRange(result.WarningDetails);
        }
        catch (DiagUnavailableException e)
        {
            warnings.Add(new InventoryWarning(WarningCode.PendingUnknown, $"pending connections are unknown: {e.Message}"));
            return ListenerQueues.None;
        }
        var icons = new Dictionary<uint, uint[]>();
        var partial = new HashSet<uint>();
        foreach (var r in result.Records)
        {
            if (r.Icons is not null)
            {
                icons[r.Inode] = r.Icons;
            }
        }
        foreach (var r in records)
        {
            if (r.State != UnixDiagState.Listen || icons.ContainsKey(r.Inode))
            {
                continue;
            }
            UnixDiagRecord? one = dump.QueryOne(channel, r.Inode, r.Cookie, ListenerShow, out Errno errno);
            if (one?.Icons is not null)
            {
                icons[r.Inode] = one.Icons;
            }
            else if (errno != Errno.ENOENT && errno != Errno.ESTALE && r.RQueue > 0)
            {
                partial.Add(r.Inode);
            }
        }
        if (partial.Count > 0)
        {
            warnings.Add(new InventoryWarning(WarningCode.PendingPartial, $"{partial.Count} listener(s) have more pending connections than the kernel can list in one reply; "
                + "their pending counts are exact, their lists of pending clients are partial") { Count = partial.Count });
        }
        return new ListenerQueues(icons, partial);
    }
}
