using SockPeer.Interop;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Inventory;

/// <summary>The pass that dumps the namespaces no process is in (see <see cref="HeldNamespaces"/>) once the fd walk is done.</summary>
public sealed partial class SocketInventoryReader
{
    /// <summary>
    /// Runs after the first dumps and the fd walk, with every namespace dumped so far still open in
    /// <paramref name="others"/>. Dumps the namespaces held by fds, then locates each AF_UNIX socket
    /// fd the walk saw that no dump produced: in a new namespace it is dumped too; in one already
    /// dumped (made after the dump, or skipped by it) it is asked for by inode. What is still missing
    /// is counted in one <see cref="WarningCode.SocketsInNoDump"/> warning.
    /// </summary>
    private void DumpHeldNamespaces(FdScan fds, ulong? currentNs, List<NetNsHandle> others, List<UnixDiagRecord> records, List<ulong?> recordNs,
        Dictionary<uint, uint[]> icons, HashSet<uint> partialPending, List<NamespaceCount> counts, List<InventoryWarning> warnings)
    {
        var known = new HashSet<ulong>();
        var handles = new Dictionary<ulong, NetNsHandle>();
        if (currentNs is ulong cur)
        {
            known.Add(cur);
        }
        foreach (var ns in others)
        {
            known.Add(ns.Inode);
            handles.TryAdd(ns.Inode, ns);
        }
        var held = new List<NetNsHandle>();
        var notEntered = new Dictionary<ulong, Errno>();
        try
        {
            foreach (var ns in HeldNamespaces.FromFdLinks(fds, known, _options.ProcRoot))
            {
                held.Add(ns);
                DumpHeld(ns, "held by an fd");
            }
            var present = new HashSet<uint>(records.Count);
            foreach (var r in records)
            {
                present.Add(r.Inode);
            }
            UnmatchedSockets unmatched = HeldNamespaces.Examine(fds, present, known, _options.ProcRoot, _options.Parallelism);
            foreach (var ns in unmatched.NewNamespaces)
            {
                held.Add(ns);
                DumpHeld(ns, "held only by its sockets");
            }
            foreach (var r in records)
            {
                present.Add(r.Inode);
            }
            AskByInode(unmatched, present, currentNs, handles, notEntered, records, recordNs, warnings);
            WarnMissing(unmatched, present, notEntered, warnings);
        }
        finally
        {
            foreach (var ns in held)
            {
                ns.Dispose();
            }
        }

        void DumpHeld(NetNsHandle ns, string how)
        {
            handles.TryAdd(ns.Inode, ns);
            try
            {
                using IDiagChannel channel = ns.OpenChannel();
                DumpNamespace(channel, ns.Inode, "", records, recordNs, icons, partialPending, counts, warnings);
            }
            catch (Exception e) when (e is DiagUnavailableException or IOException)
            {
                notEntered[ns.Inode] = e is DiagUnavailableException d ? d.Errno : Errno.None;
                if (e is DiagUnavailableException { Errno: Errno.EPERM or Errno.EACCES })
                {
                    return; // not root: its sockets, if any, are counted with the others no dump produced
                }
                warnings.Add(new InventoryWarning(WarningCode.NamespaceNotDumped, $"network namespace {ns.Inode} ({how}, no process in it) could not be dumped: {e.Message}") { NetNs = ns.Inode, Count = 1 });
            }
        }
    }

    /// <summary>
    /// <c>--netns INODE</c> of a namespace no process is in: an fd that holds it, else a socket in it.
    /// The sockets of the namespaces already known (<paramref name="discovered"/> and this one) are
    /// left out first, with one inode-only dump each, so that only the few others are borrowed.
    /// </summary>
    private NetNsHandle? FindHeldNamespace(ulong wanted, List<NetNsHandle> discovered)
    {
        var accounted = new HashSet<uint>();
        void Add(IDiagChannel channel)
        {
            foreach (var r in _dump.Dump(channel, UnixDiagState.All, UnixDiagShow.None).Records)
            {
                accounted.Add(r.Inode);
            }
        }
        try
        {
            using (IDiagChannel own = _channels.Open())
            {
                Add(own);
            }
            foreach (var ns in discovered)
            {
                using IDiagChannel channel = ns.OpenChannel();
                Add(channel);
            }
        }
        catch (Exception e) when (e is DiagUnavailableException or IOException or NetlinkFormatException)
        {
            // Not every socket could be ruled out: more are borrowed, the answer is the same.
        }
        return HeldNamespaces.FindByInode(wanted, accounted, _options.ProcRoot, _options.Parallelism);
    }

    /// <summary>Located sockets still absent after their namespace was dumped: made after the dump, or skipped by it. One lookup each, or one more dump when there are many.</summary>
    private void AskByInode(UnmatchedSockets unmatched, HashSet<uint> present, ulong? currentNs, Dictionary<ulong, NetNsHandle> handles,
        Dictionary<ulong, Errno> notEntered, List<UnixDiagRecord> records, List<ulong?> recordNs, List<InventoryWarning> warnings)
    {
        var byNs = new Dictionary<ulong, List<uint>>();
        foreach (var (inode, ns) in unmatched.Namespace)
        {
            if (!present.Contains(inode) && !notEntered.ContainsKey(ns))
            {
                if (!byNs.TryGetValue(ns, out var list))
                {
                    byNs[ns] = list = [];
                }
                list.Add(inode);
            }
        }
        foreach (var (ns, inodes) in byNs)
        {
            try
            {
                IDiagChannel channel = ns == currentNs ? _channels.Open()
                    : handles.TryGetValue(ns, out var handle) ? handle.OpenChannel()
                    : throw new IOException($"network namespace {ns} is no longer open");
                using (channel)
                {
                    if (inodes.Count > MaxPeerLookups)
                    {
                        var wanted = new HashSet<uint>(inodes);
                        DiagDumpResult again = _dump.Dump(channel, UnixDiagState.All, MainShow);
                        warnings.AddRange(again.WarningDetails);
                        foreach (var r in again.Records)
                        {
                            if (wanted.Contains(r.Inode) && present.Add(r.Inode))
                            {
                                records.Add(r);
                                recordNs.Add(ns);
                            }
                        }
                        continue;
                    }
                    foreach (uint inode in inodes)
                    {
                        // Never UID in a single query: unpatched 5.3–6.0 kernels oops on it.
                        if (_dump.QueryOne(channel, inode, ulong.MaxValue, MainShow & ~UnixDiagShow.Uid, out _) is { } one && one.Inode == inode && present.Add(inode))
                        {
                            records.Add(one);
                            recordNs.Add(ns);
                        }
                    }
                }
            }
            catch (Exception e) when (e is DiagUnavailableException or IOException or NetlinkFormatException)
            {
                notEntered[ns] = e is DiagUnavailableException d ? d.Errno : Errno.None;
            }
        }
    }

    private static void WarnMissing(UnmatchedSockets unmatched, HashSet<uint> present, Dictionary<ulong, Errno> notEntered, List<InventoryWarning> warnings)
    {
        int sockets = 0, fds = 0;
        var pids = new SortedSet<int>();
        var reasons = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (inode, holders) in unmatched.Holders)
        {
            if (present.Contains(inode))
            {
                continue;
            }
            sockets++;
            fds += holders.Count;
            foreach (var (pid, _) in holders)
            {
                pids.Add(pid);
            }
            if (unmatched.Unlocated.TryGetValue(inode, out Errno why))
            {
                reasons.Add(why switch
                {
                    Errno.ENOSYS => "pidfd_getfd or SIOCGSKNS is not available (Linux 5.6+)",
                    Errno.EPERM or Errno.EACCES => $"their netns could not be asked ({ErrnoText.Describe(why)}; needs ptrace access and CAP_NET_ADMIN)",
                    _ => $"their netns could not be asked ({ErrnoText.Describe(why)})",
                });
            }
            else if (unmatched.Namespace.TryGetValue(inode, out ulong ns))
            {
                reasons.Add(notEntered.TryGetValue(ns, out Errno e)
                    ? $"netns {ns} could not be read ({(e == Errno.None ? "error" : ErrnoText.Describe(e))})"
                    : $"sock_diag did not find them in their netns {ns}");
            }
        }
        if (sockets == 0)
        {
            return;
        }
        int[] some = [.. pids.Take(5)];
        warnings.Add(new InventoryWarning(WarningCode.SocketsInNoDump,
            $"{fds} AF_UNIX socket fd(s) seen in /proc ({sockets} socket(s)) were found in no sock_diag dump and are missing: {string.Join("; ", reasons)}; "
            + $"held by pid {string.Join(", ", some)}{(pids.Count > some.Length ? $" and {pids.Count - some.Length} more" : "")}")
        { Count = fds, Pids = some });
    }
}
