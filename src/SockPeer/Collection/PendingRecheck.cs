using SockPeer.Inventory;
using SockPeer.Joining;
using SockPeer.Netlink;

namespace SockPeer.Collection;

/// <summary>
/// Re-asks the clients the main dump read as waiting in an accept queue (connected, peer 0) that no
/// listener's queue lists. The listener dump runs after the main dump: a client accepted in between
/// has left every queue, and if its server end was not dumped after the accept, nothing in the dumps
/// says which listener it waited on or who accepted it (issue 22: polling's pending lines without their
/// listener). So the queues are read once more, and each client still unlisted is asked for by inode:
/// it answers with its server end (accepted since: its record and the server end's replace what the
/// main dump read) or not at all (closed since: dropped, as a dump a moment later would have). A
/// waiting client whose listener's queue lists it while the main dump skipped the listener itself (a
/// dump is not a snapshot) gets that listener added.
/// </summary>
internal static class PendingRecheck
{
    /// <summary>Single lookups beyond this many cost more than they mend; the rest stay as read.</summary>
    internal const int MaxLookups = 32;

    private const UnixDiagShow OneShow = NamespaceDumper.MainShow & ~UnixDiagShow.Uid; // never UID in a single query (5.3–6.0 oops)

    /// <summary>
    /// The records and queues with every unlisted waiting client re-read (the inputs unchanged when
    /// none is), and the inodes of the server ends added for clients accepted since the main dump: the
    /// fd walk may have read the accepting process before the accept, so its holders are read again.
    /// </summary>
    public static (IReadOnlyList<UnixDiagRecord> Records, ListenerQueues Queues, IReadOnlyList<uint> AcceptedSince) Recheck(
        IDiagChannel channel, DiagDump dump, IReadOnlyList<UnixDiagRecord> records, ListenerQueues queues, List<InventoryWarning> warnings)
    {
        var position = new Dictionary<uint, int>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            position[records[i].Inode] = i;
        }
        List<uint> unlisted = Unlisted(records, queues, position, out List<uint> skippedListeners);
        if (unlisted.Count == 0 && skippedListeners.Count == 0)
        {
            return (records, queues, []);
        }
        var result = new List<UnixDiagRecord>(records);
        var acceptedSince = new List<uint>();
        var gone = new HashSet<uint>();
        try
        {
            foreach (uint inode in skippedListeners.Take(MaxLookups))
            {
                // A listener the main dump skipped (a dump is not a snapshot) while the listener dump listed its queue.
                if (dump.QueryOne(channel, inode, ulong.MaxValue, OneShow, out _) is { } listener && listener.Inode == inode)
                {
                    position[inode] = result.Count;
                    result.Add(listener);
                }
            }
            if (unlisted.Count > 0)
            {
                // The queues once more first: whoever is still waiting is in one now, so a client asked
                // after this that still waits was in it; one that is not was accepted or closed meanwhile.
                queues = ReadQueuesAgain(channel, dump, result, position, queues, warnings);
                unlisted = Unlisted(result, queues, position, out _);
            }
            foreach (uint inode in unlisted.Take(MaxLookups))
            {
                UnixDiagRecord? now = dump.QueryOne(channel, inode, ulong.MaxValue, OneShow, out _);
                if (now is null || now.Inode != inode)
                {
                    gone.Add(inode);
                    continue;
                }
                var before = result[position[inode]];
                result[position[inode]] = now with { HasUid = before.HasUid, Uid = before.Uid };
                // Accepted since: its server end too, unless the dump has it already.
                if (now.HasPeer && now.Peer != 0 && !position.ContainsKey(now.Peer)
                    && dump.QueryOne(channel, now.Peer, ulong.MaxValue, OneShow, out _) is { } server && server.Inode == now.Peer)
                {
                    position[server.Inode] = result.Count;
                    result.Add(server);
                    acceptedSince.Add(server.Inode);
                }
            }
        }
        catch (Exception e) when (e is DiagUnavailableException or IOException)
        {
            warnings.Add(new InventoryWarning(WarningCode.PendingUnknown, $"clients waiting in an accept queue no listener listed could not be asked again ({e.Message}); their listeners are unknown"));
        }
        if (gone.Count > 0)
        {
            result.RemoveAll(r => gone.Contains(r.Inode));
        }
        return (result, queues, acceptedSince);
    }

    /// <summary>The listener dump once more, with any listener it names that the main dump skipped added to <paramref name="result"/>.</summary>
    private static ListenerQueues ReadQueuesAgain(IDiagChannel channel, DiagDump dump, List<UnixDiagRecord> result, Dictionary<uint, int> position, ListenerQueues before, List<InventoryWarning> warnings)
    {
        DiagDumpResult again = dump.Dump(channel, UnixDiagState.ListenOnly, ListenerQueueDump.ListenerShow);
        warnings.AddRange(again.WarningDetails);
        var icons = new Dictionary<uint, uint[]>(before.Icons);
        foreach (var l in again.Records)
        {
            if (l.Icons is null)
            {
                continue;
            }
            icons[l.Inode] = l.Icons;
            if (!position.ContainsKey(l.Inode) && l.Icons.Length > 0 && dump.QueryOne(channel, l.Inode, ulong.MaxValue, OneShow, out _) is { } listener && listener.Inode == l.Inode)
            {
                position[listener.Inode] = result.Count;
                result.Add(listener);
            }
        }
        return new ListenerQueues(icons, before.Partial);
    }

    /// <summary>
    /// Clients read as waiting to be accepted that no listener's queue lists, each once, in dump order;
    /// and in <paramref name="skippedListeners"/> the listeners whose queue lists such a client but whose
    /// own record the main dump lacks.
    /// </summary>
    internal static List<uint> Unlisted(IReadOnlyList<UnixDiagRecord> records, ListenerQueues queues, IReadOnlyDictionary<uint, int> present, out List<uint> skippedListeners)
    {
        var listedBy = new Dictionary<uint, uint>();
        foreach (var (listener, waiting) in queues.Icons)
        {
            foreach (uint c in waiting)
            {
                listedBy[c] = listener;
            }
        }
        // A client some dumped server end names as its peer was accepted while the dump ran (a torn
        // read): torn-read mending joins the two, no question to the kernel needed. Only the clients
        // that read as waiting are looked for (a set of every peer was 2 MiB on 40,000 sockets).
        var readAsWaiting = new HashSet<uint>();
        foreach (var r in records)
        {
            if (SocketRoleRules.ReadsAsAwaitingAccept(r))
            {
                readAsWaiting.Add(r.Inode);
            }
        }
        var namedAsPeer = new HashSet<uint>();
        if (readAsWaiting.Count > 0)
        {
            foreach (var r in records)
            {
                if (r.HasPeer && r.Peer != 0 && readAsWaiting.Contains(r.Peer))
                {
                    namedAsPeer.Add(r.Peer);
                }
            }
        }
        var unlisted = new List<uint>();
        var seen = new HashSet<uint>();
        var skipped = new HashSet<uint>();
        skippedListeners = [];
        foreach (var r in records)
        {
            if (!SocketRoleRules.ReadsAsAwaitingAccept(r) || namedAsPeer.Contains(r.Inode) || !seen.Add(r.Inode))
            {
                continue;
            }
            if (!listedBy.TryGetValue(r.Inode, out uint listener))
            {
                unlisted.Add(r.Inode);
            }
            else if (!present.ContainsKey(listener) && skipped.Add(listener))
            {
                skippedListeners.Add(listener);
            }
        }
        return unlisted;
    }
}
