using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Joining;

/// <summary>
/// The I/O in-flight inference needs: how many descriptors wait in a socket's receive queue (fdinfo's
/// <c>scm_fds</c>, read through one of its holders), and which candidate sockets the kernel no longer
/// knows (a fresh sock_diag query by inode and cookie).
/// </summary>
internal interface IInFlightProbe
{
    /// <summary>scm_fds of the socket <paramref name="holder"/> holds; null when unreadable or absent.</summary>
    int? QueuedDescriptors(SocketHolder holder);

    /// <summary>The inodes among <paramref name="candidates"/> that are gone by now; those that cannot be asked count as alive.</summary>
    IReadOnlySet<uint> Gone(IReadOnlyList<UnixSocket> candidates);
}

/// <summary>What the holder lookup says about how far "no holder" can be trusted.</summary>
/// <param name="AllProcessesVisible">Every process could be seen: neither hidden by hidepid nor, unprivileged, denied. Otherwise sockets with no visible holder are most of the host and nothing is inferred.</param>
/// <param name="ProcessesDenied">Processes whose fd tables could not be read even so (root can be denied too).</param>
internal readonly record struct HolderEvidence(bool AllProcessesVisible, int ProcessesDenied);

/// <summary>What the in-flight inference returns: the sockets, and its warnings.</summary>
internal readonly record struct InFlightFindings(UnixSocket[] Sockets, IReadOnlyList<InventoryWarning> Warnings);

/// <summary>
/// Marks sockets that no process holds, while every process could be inspected, as in flight: sent
/// with SCM_RIGHTS and not yet received. The queue that holds one is a queue whose fdinfo shows
/// scm_fds &gt; 0; the kernel does not say which descriptor waits where, so the queue is named only when
/// a single queue holds descriptors. <see cref="UnixSocket.InFlight"/> is always an inference.
/// </summary>
internal static class InFlightInference
{
    /// <summary>The sockets with <see cref="UnixSocket.InFlight"/> set where it can be told (the same array when nothing changes), and what could not be told.</summary>
    public static InFlightFindings Infer(UnixSocket[] sockets, HolderEvidence evidence, IInFlightProbe probe)
    {
        var warnings = new List<InventoryWarning>();
        // Sockets held by processes we could not see look orphaned. Unprivileged, that is most of the
        // host; as root it is the odd guarded process, and the pairs-and-gone pruning below still runs.
        if (!evidence.AllProcessesVisible)
        {
            return new InFlightFindings(sockets, warnings);
        }
        var candidates = new List<int>();
        for (int i = 0; i < sockets.Length; i++)
        {
            if (IsOrphan(sockets[i]))
            {
                candidates.Add(i);
            }
        }
        if (candidates.Count == 0)
        {
            return new InFlightFindings(sockets, warnings);
        }
        var receivers = new List<(int Index, int Count)>();
        long queued = 0;
        for (int i = 0; i < sockets.Length; i++)
        {
            var s = sockets[i];
            if (s.Holders.Count == 0 || s.State == UnixSocketState.Listening || (s.RecvQueue == 0 && s.Type != UnixSocketType.Dgram))
            {
                continue;
            }
            if (probe.QueuedDescriptors(s.Holders[0]) is int n && n > 0)
            {
                receivers.Add((i, n));
                queued += n;
            }
        }
        if (receivers.Count == 0)
        {
            return new InFlightFindings(sockets, warnings);
        }
        if (candidates.Count > queued)
        {
            // More orphans than queued descriptors: leave out pairs whose both ends nobody holds
            // (kernel-held or leaked long ago), which cannot both be what was just sent.
            candidates.RemoveAll(i => sockets[i].Peer is uint p and not 0 && Find(sockets, p) is { } peer && IsOrphan(peer));
        }
        if (candidates.Count > queued)
        {
            // A socket whose last holder exited during the scan is gone by now; one in flight lives on.
            var gone = probe.Gone(candidates.ConvertAll(i => sockets[i]));
            candidates.RemoveAll(i => gone.Contains(sockets[i].Inode));
        }
        if (candidates.Count > queued)
        {
            warnings.Add(new InventoryWarning(WarningCode.InFlightAmbiguous, $"{candidates.Count} socket(s) are held by no process while {queued} descriptor(s) wait in flight on {receivers.Count} queue(s); "
                + "which of those sockets are in flight cannot be told") { Count = candidates.Count });
            return new InFlightFindings(sockets, warnings);
        }
        uint? on = receivers.Count == 1 ? sockets[receivers[0].Index].Inode : null;
        var result = (UnixSocket[])sockets.Clone();
        foreach (int i in candidates)
        {
            result[i] = SocketRoleRules.InFlight(result[i], on);
        }
        if (on is null)
        {
            warnings.Add(new InventoryWarning(WarningCode.InFlightQueueUnknown, $"{candidates.Count} socket(s) held by no process are in flight on one of {receivers.Count} queues; the kernel does not tell which one") { Count = candidates.Count });
        }
        if (evidence.ProcessesDenied > 0)
        {
            warnings.Add(new InventoryWarning(WarningCode.InFlightUnverified, $"{candidates.Count} socket(s) held by no visible process are taken to be in flight; "
                + $"the {evidence.ProcessesDenied} process(es) that could not be inspected may hold some of them instead") { Count = candidates.Count });
        }
        return new InFlightFindings(result, warnings);
    }

    private static bool IsOrphan(UnixSocket s) => s.Holders.Count == 0 && s.PendingOn is null && !s.AwaitingAccept;

    private static UnixSocket? Find(UnixSocket[] byInode, uint inode)
    {
        int lo = 0, hi = byInode.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            uint v = byInode[mid].Inode;
            if (v == inode)
            {
                return byInode[mid];
            }
            if (v < inode)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return null;
    }
}
