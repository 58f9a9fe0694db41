using SockPeer.Interop;
using SockPeer.Proc;

namespace SockPeer.Inventory;

/// <summary>
/// Network namespaces no process is in, which a walk of /proc/PID/ns/net cannot find: one kept alive
/// by an fd (a <c>net:[N]</c> link in the fd walk), by a bind mount of its nsfs file (anywhere; see
/// <see cref="NetNsDiscovery"/>), or only by its sockets (a process that made a socket there and
/// setns'd back, or received it over SCM_RIGHTS from a process that has exited). The last kind is
/// found from the socket itself: the fd walk saw an AF_UNIX socket that no dump produced, so its fd is
/// borrowed (pidfd_getfd) and asked for its namespace (SIOCGSKNS); when TCP or UDP were asked for, a
/// TCP or UDP socket that no inet dump produced likewise. Only unmatched inodes are examined,
/// so a busy host pays for the few sockets that need it, not for the 40,000 that do not.
/// </summary>
internal static class HeldNamespaces
{
    /// <summary>Namespaces named by fd links that are not in <paramref name="known"/>, opened through /proc/PID/fd/FD.</summary>
    public static List<NetNsHandle> FromFdLinks(FdScan fds, HashSet<ulong> known, string procRoot)
    {
        var opened = new List<NetNsHandle>();
        var tried = new HashSet<ulong>();
        foreach (var w in fds.Workers)
        {
            foreach (var link in w.NetNsLinks)
            {
                if (known.Contains(link.NetNs) || !tried.Add(link.NetNs))
                {
                    continue;
                }
                // The fd may have closed or been reused since the walk: key on what was opened.
                if (NetNsHandle.Open($"{procRoot}/{link.Pid}/fd/{link.Fd}", 0) is { } handle)
                {
                    if (known.Add(handle.Inode))
                    {
                        opened.Add(handle);
                    }
                    else
                    {
                        handle.Dispose();
                    }
                }
            }
        }
        return opened;
    }

    /// <summary>
    /// The AF_UNIX socket fds of the walk whose inode is not in <paramref name="present"/>, grouped by the
    /// namespace their socket lives in. Namespaces not in <paramref name="known"/> come back open in
    /// <see cref="UnmatchedSockets.NewNamespaces"/> (and are added to <paramref name="known"/>).
    /// With <paramref name="inetPresent"/> (the TCP and UDP inodes dumped, when those kinds were asked
    /// for), a TCP or UDP socket in no dump is located too, for its namespace only: a namespace kept
    /// alive by nothing but TCP or UDP sockets is found that way, and such sockets are not accounted as
    /// AF_UNIX ones.
    /// </summary>
    public static UnmatchedSockets Examine(FdScan fds, HashSet<uint> present, HashSet<ulong> known, string procRoot, int parallelism, HashSet<uint>? inetPresent = null)
    {
        var result = new UnmatchedSockets();
        foreach (var w in fds.Workers)
        {
            foreach (var f in w.Holders)
            {
                if (present.Contains(f.Inode))
                {
                    continue;
                }
                if (!result.Holders.TryGetValue(f.Inode, out var list))
                {
                    result.Holders[f.Inode] = list = [];
                }
                list.Add((f.Pid, f.Fd));
            }
        }
        if (result.Holders.Count == 0)
        {
            return result;
        }
        // Most unmatched inodes are TCP, UDP or netlink sockets. Their protocol name costs one getxattr
        // each and no open, and rules them out before any fd is borrowed; a host with thousands of them
        // spreads those calls over the cores.
        var candidates = result.Holders.ToArray();
        var kinds = new SocketKind[candidates.Length];
        ProcLoop.For(candidates.Length, new ParallelOptions { MaxDegreeOfParallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount },
            static () => 0,
            (i, none) =>
            {
                kinds[i] = Kind(candidates[i].Value, procRoot, inetPresent is not null && !inetPresent.Contains(candidates[i].Key));
                return none;
            },
            static _ => { });
        var pidfds = new Dictionary<int, SafeFd?>();
        try
        {
            for (int i = 0; i < candidates.Length; i++)
            {
                if (kinds[i] == SocketKind.Unix)
                {
                    Locate(candidates[i].Key, candidates[i].Value, pidfds, known, result);
                }
                else if (kinds[i] == SocketKind.InetInNoDump)
                {
                    // Only its namespace is wanted (dumped for every family by the caller); it is not an AF_UNIX socket to account for.
                    Locate(candidates[i].Key, candidates[i].Value, pidfds, known, result, anyFamily: true);
                    result.Holders.Remove(candidates[i].Key);
                    result.Namespace.Remove(candidates[i].Key);
                    result.Unlocated.Remove(candidates[i].Key);
                }
                else
                {
                    result.Holders.Remove(candidates[i].Key); // not AF_UNIX, or no longer held: nothing to account for
                }
            }
        }
        finally
        {
            foreach (var fd in pidfds.Values)
            {
                fd?.Dispose();
            }
        }
        return result;
    }

    private enum SocketKind { Unix, InetInNoDump, Other, Gone }

    /// <summary>AF_UNIX (or unknown: the borrow will tell), TCP or UDP in no dump (when <paramref name="inetWanted"/>), another family, or closed by every holder since the walk.</summary>
    private static SocketKind Kind(List<(int Pid, int Fd)> holders, string procRoot, bool inetWanted)
    {
        foreach (var (pid, fd) in holders)
        {
            string? protocol = SocketNamespaceProbe.ProtocolName(procRoot, pid, fd, out Errno e);
            if (protocol is null && e is Errno.ENOENT or Errno.ESRCH)
            {
                continue; // this fd closed since the walk; another holder may still have it
            }
            return protocol is null || protocol.StartsWith("UNIX", StringComparison.Ordinal) ? SocketKind.Unix
                : inetWanted && (protocol.StartsWith("TCP", StringComparison.Ordinal) || protocol.StartsWith("UDP", StringComparison.Ordinal)) ? SocketKind.InetInNoDump
                : SocketKind.Other;
        }
        return SocketKind.Gone;
    }

    private static void Locate(uint inode, List<(int Pid, int Fd)> holders, Dictionary<int, SafeFd?> pidfds, HashSet<ulong> known, UnmatchedSockets result, bool anyFamily = false)
    {
        Errno why = Errno.ENOENT;
        foreach (var (pid, fd) in holders)
        {
            if (!pidfds.TryGetValue(pid, out SafeFd? pidfd))
            {
                pidfds[pid] = pidfd = SocketNamespaceProbe.OpenPid(pid, out Errno e);
                if (pidfd is null && e != Errno.ESRCH)
                {
                    result.PidErrors[pid] = e;
                }
            }
            if (pidfd is null)
            {
                // ESRCH: the process exited since the walk, and its fds with it.
                why = result.PidErrors.GetValueOrDefault(pid, why);
                continue;
            }
            SafeFd? nsFd = SocketNamespaceProbe.OpenNamespaceOf(pidfd, fd, inode, out ulong netns, out Errno err, anyFamily);
            if (nsFd is null)
            {
                if (err == Errno.EAFNOSUPPORT)
                {
                    result.Holders.Remove(inode);
                    return;
                }
                if (err is not (Errno.EBADF or Errno.ESTALE or Errno.ESRCH))
                {
                    why = err;
                }
                continue;
            }
            result.Namespace[inode] = netns;
            if (known.Add(netns))
            {
                result.NewNamespaces.Add(new NetNsHandle(nsFd, netns, 0, $"socket:[{inode}] of pid {pid} fd {fd}"));
            }
            else
            {
                nsFd.Dispose();
            }
            return;
        }
        if (why == Errno.ENOENT)
        {
            result.Holders.Remove(inode); // every holder closed it: no longer held, nothing to account for
            return;
        }
        result.Unlocated[inode] = why;
    }

    /// <summary>
    /// For <c>--netns INODE</c> when no process is in that namespace and no mount holds it: an fd that
    /// holds it (the fd walk's <c>net:[N]</c> links), else an AF_UNIX socket that lives in it (borrowed
    /// and asked, one socket after another, until one answers), skipping the <paramref name="accounted"/>
    /// sockets, whose namespaces are known. Null when none does.
    /// </summary>
    public static NetNsHandle? FindByInode(ulong wanted, HashSet<uint> accounted, string procRoot, int parallelism)
    {
        FdScan fds = new ProcScanner(procRoot, parallelism).ScanFds();
        foreach (var w in fds.Workers)
        {
            foreach (var link in w.NetNsLinks)
            {
                if (link.NetNs == wanted && NetNsHandle.Open($"{procRoot}/{link.Pid}/fd/{link.Fd}", 0) is { } handle)
                {
                    if (handle.Inode == wanted)
                    {
                        return handle;
                    }
                    handle.Dispose();
                }
            }
        }
        var pidfds = new Dictionary<int, SafeFd?>();
        var seen = new HashSet<uint>();
        try
        {
            foreach (var w in fds.Workers)
            {
                foreach (var f in w.Holders)
                {
                    if (accounted.Contains(f.Inode) || !seen.Add(f.Inode)
                        || SocketNamespaceProbe.ProtocolName(procRoot, f.Pid, f.Fd, out _) is { } protocol && !protocol.StartsWith("UNIX", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    if (!pidfds.TryGetValue(f.Pid, out SafeFd? pidfd))
                    {
                        pidfds[f.Pid] = pidfd = SocketNamespaceProbe.OpenPid(f.Pid, out _);
                    }
                    if (pidfd is not null && SocketNamespaceProbe.OpenNamespaceOf(pidfd, f.Fd, f.Inode, out ulong netns, out _) is { } nsFd)
                    {
                        if (netns == wanted)
                        {
                            return new NetNsHandle(nsFd, netns, 0, $"socket:[{f.Inode}] of pid {f.Pid} fd {f.Fd}");
                        }
                        nsFd.Dispose();
                    }
                }
            }
        }
        finally
        {
            foreach (var fd in pidfds.Values)
            {
                fd?.Dispose();
            }
        }
        return null;
    }
}

/// <summary>What <see cref="HeldNamespaces.Examine"/> found about the socket fds no dump produced.</summary>
internal sealed class UnmatchedSockets
{
    /// <summary>AF_UNIX socket inodes no dump produced, with every (pid, fd) the walk saw them under.</summary>
    public Dictionary<uint, List<(int Pid, int Fd)>> Holders { get; } = [];

    /// <summary>The namespace each located socket lives in.</summary>
    public Dictionary<uint, ulong> Namespace { get; } = [];

    /// <summary>Namespaces not dumped before, opened from a socket's SIOCGSKNS; the caller dumps and disposes them.</summary>
    public List<NetNsHandle> NewNamespaces { get; } = [];

    /// <summary>Sockets whose namespace could not be asked, and why (EPERM: no ptrace access or no CAP_NET_ADMIN; ENOSYS: kernel before 5.6 or old libc).</summary>
    public Dictionary<uint, Errno> Unlocated { get; } = [];

    /// <summary>Why a pidfd could not be opened, per pid (not ESRCH).</summary>
    internal Dictionary<int, Errno> PidErrors { get; } = [];
}
