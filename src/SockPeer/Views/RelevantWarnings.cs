using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Views;

/// <summary>
/// Which of a snapshot's warnings can change what a command shows. A whole list is affected by
/// every warning; one socket's answer only by warnings about what it shows: a socket with no
/// visible holder, a listener's pending list, an end that was not seen, a pid it names.
/// </summary>
public static class RelevantWarnings
{
    /// <summary>
    /// The warnings that can affect <paramref name="shown"/>. <paramref name="completeList"/> says
    /// the answer claims to be every socket that matches (list, summary): then anything missing from
    /// the snapshot matters, and every warning is kept.
    /// </summary>
    public static IReadOnlyList<InventoryWarning> For(SocketInventory inventory, IEnumerable<UnixSocket> shown, bool completeList, IReadOnlySet<int>? selectedPids = null)
    {
        if (completeList && (selectedPids is null || selectedPids.Count == 0))
        {
            return inventory.WarningDetails;
        }
        bool orphan = false, listener = false, unseen = false, inFlight = false;
        var pids = new HashSet<int>();
        foreach (var s in shown)
        {
            orphan |= s.Holders.Count == 0;
            listener |= s.Role == SocketRole.Listener;
            inFlight |= s.InFlight;
            unseen |= (s.Peer is uint p and not 0 && inventory.Find(p) is null)
                || (s.PendingOn is uint l && inventory.Find(l) is null)
                || (s.Listener is uint a && inventory.Find(a) is null)
                || (s.AwaitingAccept && s.PendingOn is null);
            foreach (var h in s.Holders)
            {
                pids.Add(h.Pid);
            }
        }
        if (selectedPids is not null)
        {
            pids.UnionWith(selectedPids);
        }
        var kept = new List<InventoryWarning>();
        foreach (var w in inventory.WarningDetails)
        {
            bool namesShownPid = w.Pids.Any(pids.Contains);
            bool keep = w.Code switch
            {
                // What was not dumped can be missing from any list, and from the other end of any answer.
                WarningCode.DumpIncomplete or WarningCode.DumpInterrupted or WarningCode.DumpMalformed or WarningCode.CountMismatch
                    or WarningCode.NamespaceNotDumped or WarningCode.NamespacesNotEntered or WarningCode.NamespacesNotFound
                    or WarningCode.SocketsInNoDump or WarningCode.ProcNetUnixFallback or WarningCode.ProcNetUnixMalformed
                    or WarningCode.PeersNotLookedUp
                    => completeList || unseen || namesShownPid,
                WarningCode.PendingUnknown or WarningCode.PendingPartial => listener || unseen,
                WarningCode.HoldersUnknown => true,
                WarningCode.ProcessesDenied or WarningCode.ProcessesHidden => orphan || namesShownPid,
                WarningCode.ProcessDetailsUnknown => namesShownPid || w.Pids.Count == 0,
                WarningCode.InFlightAmbiguous or WarningCode.InFlightQueueUnknown or WarningCode.InFlightUnverified => inFlight || orphan,
                _ => true,
            };
            if (keep)
            {
                kept.Add(w);
            }
        }
        return kept;
    }
}
