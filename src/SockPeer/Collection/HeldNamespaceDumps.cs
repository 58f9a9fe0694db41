using SockPeer.Endpoints.Families;
using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>
/// Dumps the network namespaces no process is in (see <see cref="HeldNamespaces"/>), once the fd walk
/// is done and while the namespaces of the plan are still open, for every family asked for (AF_UNIX, and
/// TCP and UDP when those were: see <see cref="FamilyDumper"/>): first those held by fds, then the
/// namespace of each AF_UNIX socket fd the walk saw that no dump produced. Such a socket in a new
/// namespace gets that namespace dumped; in one already dumped (made after the dump, or skipped by it)
/// it is asked for by inode. What is still missing is counted in one
/// <see cref="WarningCode.SocketsInNoDump"/> warning. Runs only for <see cref="NetNsScope.All"/>.
/// </summary>
internal sealed class HeldNamespaceDumps(InventoryOptions options, IDiagChannelFactory channels, FamilyDumper dumper)
{
    /// <summary>What one run keeps between its steps, and what it returns.</summary>
    private sealed class Run(RawDump dump)
    {
        public readonly RawDumpBuilder Builder = new(dump);
        public readonly HashSet<ulong> Known = [];
        public readonly Dictionary<ulong, NetNsHandle> Handles = [];
        public readonly Dictionary<ulong, Errno> NotEntered = [];
        public readonly List<FamilyDump> Endpoints = [];
        public readonly List<InventoryWarning> Warnings = [];
    }

    /// <summary><paramref name="dump"/> with the sockets of held namespaces added, and those namespaces' endpoint dumps.</summary>
    /// <param name="fds">The fd walk.</param>
    /// <param name="plan">The namespaces already dumped, still open.</param>
    /// <param name="dump">Their AF_UNIX records.</param>
    /// <param name="endpoints">Their endpoint families' dumps: a TCP or UDP socket in none of them leads to its namespace, when those kinds were asked for.</param>
    /// <param name="inetAsked">Whether TCP or UDP was asked for.</param>
    public CollectedDumps Collect(FdScan fds, NamespacePlan plan, RawDump dump, IReadOnlyList<FamilyDump> endpoints, bool inetAsked)
    {
        var run = new Run(dump);
        if (plan.Current is ulong cur)
        {
            run.Known.Add(cur);
        }
        foreach (var ns in plan.Others)
        {
            run.Known.Add(ns.Inode);
            run.Handles.TryAdd(ns.Inode, ns);
        }
        var held = new List<NetNsHandle>();
        try
        {
            foreach (var ns in HeldNamespaces.FromFdLinks(fds, run.Known, options.ProcRoot))
            {
                held.Add(ns);
                DumpHeld(run, ns, "held by an fd");
            }
            var present = new HashSet<uint>(dump.Index.Keys);
            present.UnionWith(run.Builder.AddedInodes);
            HashSet<uint>? inetPresent = null;
            if (inetAsked)
            {
                inetPresent = [];
                foreach (var d in endpoints.Concat(run.Endpoints))
                {
                    foreach (var r in d.Records)
                    {
                        inetPresent.Add(r.Record.Inode);
                    }
                }
            }
            UnmatchedSockets unmatched = HeldNamespaces.Examine(fds, present, run.Known, options.ProcRoot, options.Parallelism, inetPresent);
            foreach (var ns in unmatched.NewNamespaces)
            {
                held.Add(ns);
                DumpHeld(run, ns, "held only by its sockets");
            }
            present.UnionWith(run.Builder.AddedInodes);
            AskByInode(run, unmatched, present, plan.Current);
            if (WarnMissing(unmatched, present, run.NotEntered) is { } missing)
            {
                run.Warnings.Add(missing);
            }
        }
        finally
        {
            foreach (var ns in held)
            {
                ns.Dispose();
            }
        }
        return new CollectedDumps(run.Builder.Build(dump.PeersKnown), run.Endpoints, run.Warnings);
    }

    private void DumpHeld(Run run, NetNsHandle ns, string how)
    {
        run.Handles.TryAdd(ns.Inode, ns);
        try
        {
            using IDiagChannel channel = ns.OpenChannel();
            NamespaceFamiliesDump d = dumper.DumpNamespace(channel, ns.Inode, "");
            run.Builder.Add(d.Unix);
            run.Warnings.AddRange(d.Unix.Warnings);
            run.Endpoints.AddRange(d.Endpoints);
        }
        catch (Exception e) when (e is DiagUnavailableException or IOException)
        {
            run.NotEntered[ns.Inode] = e is DiagUnavailableException d ? d.Errno : Errno.None;
            if (e is DiagUnavailableException { Errno: Errno.EPERM or Errno.EACCES })
            {
                return; // not root: its sockets, if any, are counted with the others no dump produced
            }
            run.Warnings.Add(new InventoryWarning(WarningCode.NamespaceNotDumped, $"network namespace {ns.Inode} ({how}, no process in it) could not be dumped: {e.Message}") { NetNs = ns.Inode, Count = 1 });
        }
    }

    /// <summary>
    /// <c>--netns INODE</c> of a namespace no process is in: an fd that holds it, else a socket in it.
    /// The sockets of the namespaces already known (<paramref name="discovered"/> and this one) are
    /// left out first, with one inode-only dump each, so that only the few others are borrowed.
    /// </summary>
    public NetNsHandle? FindHeldNamespace(ulong wanted, List<NetNsHandle> discovered)
    {
        var accounted = new HashSet<uint>();
        void Add(IDiagChannel channel)
        {
            foreach (var r in dumper.Unix.Dump.Dump(channel, UnixDiagState.All, UnixDiagShow.None).Records)
            {
                accounted.Add(r.Inode);
            }
        }
        try
        {
            using (IDiagChannel own = channels.Open())
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
        return HeldNamespaces.FindByInode(wanted, accounted, options.ProcRoot, options.Parallelism);
    }

    /// <summary>Located sockets still absent after their namespace was dumped: made after the dump, or skipped by it. One lookup each, or one more dump when there are many.</summary>
    private void AskByInode(Run run, UnmatchedSockets unmatched, HashSet<uint> present, ulong? currentNs)
    {
        var byNs = new Dictionary<ulong, List<uint>>();
        foreach (var (inode, ns) in unmatched.Namespace)
        {
            if (!present.Contains(inode) && !run.NotEntered.ContainsKey(ns))
            {
                if (!byNs.TryGetValue(ns, out var list))
                {
                    byNs[ns] = list = [];
                }
                list.Add(inode);
            }
        }
        DiagDump dump = dumper.Unix.Dump;
        foreach (var (ns, inodes) in byNs)
        {
            try
            {
                IDiagChannel channel = ns == currentNs ? channels.Open()
                    : run.Handles.TryGetValue(ns, out var handle) ? handle.OpenChannel()
                    : throw new IOException($"network namespace {ns} is no longer open");
                using (channel)
                {
                    if (inodes.Count > AbsentPeerRecovery.MaxPeerLookups)
                    {
                        var wanted = new HashSet<uint>(inodes);
                        DiagDumpResult again = dump.Dump(channel, UnixDiagState.All, NamespaceDumper.MainShow);
                        run.Warnings.AddRange(again.WarningDetails);
                        foreach (var r in again.Records)
                        {
                            if (wanted.Contains(r.Inode) && present.Add(r.Inode))
                            {
                                run.Builder.Add(r, ns);
                            }
                        }
                        continue;
                    }
                    foreach (uint inode in inodes)
                    {
                        // Never UID in a single query: unpatched 5.3–6.0 kernels oops on it.
                        if (dump.QueryOne(channel, inode, ulong.MaxValue, NamespaceDumper.MainShow & ~UnixDiagShow.Uid, out _) is { } one && one.Inode == inode && present.Add(inode))
                        {
                            run.Builder.Add(one, ns);
                        }
                    }
                }
            }
            catch (Exception e) when (e is DiagUnavailableException or IOException or NetlinkFormatException)
            {
                run.NotEntered[ns] = e is DiagUnavailableException d ? d.Errno : Errno.None;
            }
        }
    }

    private static InventoryWarning? WarnMissing(UnmatchedSockets unmatched, HashSet<uint> present, Dictionary<ulong, Errno> notEntered)
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
            return null;
        }
        int[] some = [.. pids.Take(5)];
        return new InventoryWarning(WarningCode.SocketsInNoDump,
            $"{fds} AF_UNIX socket fd(s) seen in /proc ({sockets} socket(s)) were found in no sock_diag dump and are missing: {string.Join("; ", reasons)}; "
            + $"held by pid {string.Join(", ", some)}{(pids.Count > some.Length ? $" and {pids.Count - some.Length} more" : "")}")
        { Count = fds, Pids = some };
    }
}
