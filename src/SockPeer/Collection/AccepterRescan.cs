using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>
/// The fd walk starts before the dumps and reads each process once. A server end the pending recheck
/// added (a client accepted after the main dump) may have been made after the walk read the accepting
/// process, and would be listed without a holder although one holds it. Its listener's holders are
/// the processes that accept on it: their fd tables are read once more, when such an end exists and
/// the walk did not find it.
/// </summary>
internal static class AccepterRescan
{
    /// <summary>More accepting processes than this are not read again (a name shared by that many is not one daemon).</summary>
    internal const int MaxProcesses = 64;

    /// <summary><paramref name="fds"/>, with the fd tables of the accepters of late server ends read again when any is unheld.</summary>
    public static FdScan ReadAgainWhereNeeded(FdScan fds, RawDump dump, ProcScanner scanner)
    {
        HashSet<(ulong?, string)>? names = null;
        HashSet<uint>? late = null;
        foreach (var s in dump.Sockets)
        {
            if (s.AcceptedDuringDump && s.Record.Name is { Length: > 0 } name)
            {
                (names ??= []).Add((s.NetNs, Convert.ToHexString(name)));
                (late ??= []).Add(s.Record.Inode);
            }
        }
        if (names is null || late is null)
        {
            return fds;
        }
        // An accepted end carries its listener's name: the other sockets of that name (the listener, the
        // ends accepted before) are held by the accepting processes.
        var sameName = new HashSet<uint>();
        foreach (var s in dump.Sockets)
        {
            if (!s.AcceptedDuringDump && s.Record.Name is { Length: > 0 } name && names.Contains((s.NetNs, Convert.ToHexString(name))))
            {
                sameName.Add(s.Record.Inode);
            }
        }
        var pids = new HashSet<int>();
        foreach (var w in fds.Workers)
        {
            foreach (var found in w.Holders)
            {
                if (late.Remove(found.Inode) && late.Count == 0)
                {
                    return fds; // the walk saw every late end after all
                }
                if (sameName.Contains(found.Inode))
                {
                    pids.Add(found.Pid);
                }
            }
        }
        return pids.Count is 0 or > MaxProcesses ? fds : scanner.ReadAgain(fds, pids);
    }
}
