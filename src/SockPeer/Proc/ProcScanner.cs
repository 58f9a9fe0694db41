using System.Runtime.InteropServices;
using SockPeer.Interop;
using SockPeer.Model;

namespace SockPeer.Proc;

/// <summary>
/// Maps socket inodes to the processes and fds that hold them by walking /proc/PID/fd (and the fd
/// tables of threads that unshared theirs). Uses directory fds, getdents64 and readlinkat with
/// per-thread buffers, spread over the cores. No state survives a scan.
/// </summary>
internal sealed partial class ProcScanner
{
    private readonly string _procRoot;
    private readonly int _parallelism;
    private static ReadOnlySpan<byte> FdZ => "fd\0"u8;
    private static ReadOnlySpan<byte> TaskZ => "task\0"u8;

    /// <summary>Non-socket links to keep for the endpoint kinds (pipes, FIFOs, ptys); none by default, which costs nothing.</summary>
    public SockPeer.Endpoints.EndpointKinds Links { get; init; }
    /// <summary>How many denied pids a scan keeps to name in its warning.</summary>
    public const int MaxDeniedPids = 5;

    /// <summary>Scans the procfs mounted at <paramref name="procRoot"/>.</summary>
    public ProcScanner(string procRoot = "/proc", int parallelism = 0)
    {
        _procRoot = procRoot;
        _parallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount;
    }

    /// <summary>Finds every holder of the sockets in <paramref name="sockets"/> (socket inode → a distinct number below <paramref name="socketCount"/>, used only to group them).</summary>
    public ProcScanResult Scan(Dictionary<uint, int> sockets, int socketCount, IReadOnlyDictionary<uint, string>? users = null)
        => Resolve(ScanFds(), sockets, socketCount, users);

    /// <summary>
    /// The fd walk on its own: every socket link of every process, before it is known which inodes
    /// are AF_UNIX sockets. It needs nothing from sock_diag, so it can run while the dump does.
    /// </summary>
    public FdScan ScanFds() => ScanFds(CancellationToken.None);

    /// <summary>As <see cref="ScanFds()"/>; a cancelled walk stops between processes and throws <see cref="OperationCanceledException"/>.</summary>
    public FdScan ScanFds(CancellationToken cancellationToken)
    {
        int procFd = OpenProcRoot();
        try
        {
            int[] pids = ListPids(procFd);
            var workers = new List<FdWorker>();
            var options = new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken };
            ProcLoop.For(pids.Length, options,
                () => new FdWorker(procFd, Links),
                (i, worker) =>
                {
                    worker.ScanProcess(pids[i]);
                    return worker;
                },
                worker =>
                {
                    lock (workers)
                    {
                        workers.Add(worker);
                    }
                });
            return new FdScan(workers);
        }
        finally
        {
            ProcFs.Close(procFd);
        }
    }

    /// <summary>
    /// <paramref name="fds"/> with the fd tables of <paramref name="pids"/> read once more and added (the
    /// grouping drops the links seen twice); the counts of processes scanned and denied are the first read's.
    /// </summary>
    internal FdScan ReadAgain(FdScan fds, IEnumerable<int> pids)
    {
        int procFd = OpenProcRoot();
        try
        {
            var worker = new FdWorker(procFd, Links);
            foreach (int pid in pids)
            {
                worker.ScanProcess(pid);
            }
            worker.Scanned = 0;
            worker.Denied = 0;
            worker.DeniedPids.Clear();
            return new FdScan([.. fds.Workers, worker]);
        }
        finally
        {
            ProcFs.Close(procFd);
        }
    }

    /// <summary>Keeps the links that name the given sockets, groups them per socket and reads the holders' details.</summary>
    public ProcScanResult Resolve(FdScan fds, Dictionary<uint, int> sockets, int socketCount, IReadOnlyDictionary<uint, string>? users = null)
        => Resolve(fds, sockets, socketCount, users, details: true);

    /// <summary>As above; without <paramref name="details"/> no process is read beyond its fd table.</summary>
    public ProcScanResult Resolve(FdScan fds, Dictionary<uint, int> sockets, int socketCount, IReadOnlyDictionary<uint, string>? users, bool details)
        => Resolve(fds, sockets, socketCount, users, details, cache: null);

    /// <summary>
    /// As above, reusing the details of processes that <paramref name="cache"/> already holds; the
    /// cache then keeps exactly this scan's holders.
    /// </summary>
    internal ProcScanResult Resolve(FdScan fds, Dictionary<uint, int> sockets, int socketCount, IReadOnlyDictionary<uint, string>? users, bool details, ProcessDetailsCache? cache)
    {
        int procFd = OpenProcRoot();
        try
        {
            int scanned = 0, denied = 0;
            var deniedPids = new List<int>();
            foreach (var w in fds.Workers)
            {
                scanned += w.Scanned;
                denied += w.Denied;
                deniedPids.AddRange(w.DeniedPids);
            }
            deniedPids.Sort();
            var (holders, inodes, starts, holderPids) = Group(fds.Workers, sockets, socketCount);

            var processes = details ? ReadProcesses(procFd, [.. holderPids], users, cache, keep: true) : [];
            return new ProcScanResult
            {
                Holders = holders,
                Inodes = inodes,
                Starts = starts,
                Processes = processes,
                ProcessesScanned = scanned,
                ProcessesDenied = denied,
                DeniedPids = deniedPids.Count > MaxDeniedPids ? deniedPids[..MaxDeniedPids] : deniedPids,
            };
        }
        finally
        {
            ProcFs.Close(procFd);
        }
    }

    private int OpenProcRoot()
    {
        int procFd = ProcFs.OpenDirectory(_procRoot);
        return procFd >= 0 ? procFd : throw new IOException($"cannot open {_procRoot}: {ErrnoText.Describe((Errno)(-procFd))}");
    }

    /// <summary>Reads scm_fds from /proc/PID/fdinfo/FD; null when unreadable or absent.</summary>
    public int? ReadScmFds(int pid, int fd)
    {
        byte[] buffer = new byte[512];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero($"{_procRoot}/{pid}/fdinfo/{fd}"), ref buffer);
        return n > 0 && ProcParsers.TryParseScmFds(buffer.AsSpan(0, n), out int count) ? count : null;
    }

    /// <summary>
    /// Counting sort by socket (linear, where a comparison sort of half a million entries is not),
    /// with the groups laid out in inode order (only the held sockets' inodes are sorted), then each
    /// small group sorted by pid and fd and stripped of duplicates (threads that share a table, or a
    /// pid seen twice while /proc changes).
    /// </summary>
    private static (SocketHolder[] Holders, uint[] Inodes, int[] Starts, HashSet<int> Pids) Group(List<FdWorker> workers, Dictionary<uint, int> sockets, int socketCount)
    {
        // Links to sockets that are not AF_UNIX (TCP, netlink, ...) drop out here.
        var pids = new HashSet<int>();
        var next = new int[socketCount]; // first the count of each socket's links, then where the next one goes
        int held = 0;
        foreach (var w in workers)
        {
            var found = CollectionsMarshal.AsSpan(w.Holders);
            for (int i = 0; i < found.Length; i++)
            {
                if (sockets.TryGetValue(found[i].Inode, out int index))
                {
                    found[i] = found[i] with { Index = index };
                    if (next[index]++ == 0)
                    {
                        held++;
                    }
                    pids.Add(found[i].Pid);
                }
                else
                {
                    found[i] = found[i] with { Index = -1 };
                }
            }
        }
        var inodes = new uint[held];
        var order = new int[held];
        int h = 0;
        foreach (var (inode, index) in sockets)
        {
            if (next[index] > 0)
            {
                inodes[h] = inode;
                order[h++] = index;
            }
        }
        Array.Sort(inodes, order); // primitive keys: no comparison delegate
        int total = 0;
        foreach (int index in order)
        {
            int count = next[index];
            next[index] = total;
            total += count;
        }
        var holders = new SocketHolder[total];
        foreach (var w in workers)
        {
            foreach (var e in w.Holders)
            {
                if (e.Index >= 0)
                {
                    holders[next[e.Index]++] = new SocketHolder(e.Pid, e.Fd);
                }
            }
        }
        var starts = new int[held + 1];
        int write = 0, start = 0;
        for (int k = 0; k < held; k++)
        {
            int end = next[order[k]]; // each group now ends where the next one begins
            starts[k] = write;
            if (end - start > 1)
            {
                holders.AsSpan(start, end - start).Sort(default(HolderOrder));
            }
            for (int r = start; r < end; r++)
            {
                if (r == start || holders[r] != holders[r - 1])
                {
                    holders[write++] = holders[r];
                }
            }
            start = end;
        }
        starts[held] = write;
        return (write == holders.Length ? holders : holders[..write], inodes, starts, pids);
    }

    private readonly struct HolderOrder : IComparer<SocketHolder>
    {
        public int Compare(SocketHolder x, SocketHolder y) => x.Pid != y.Pid ? x.Pid.CompareTo(y.Pid) : x.Fd.CompareTo(y.Fd);
    }

    internal record struct Found(uint Inode, int Pid, int Fd, int Index);

    /// <summary>An fd that holds a network namespace (<c>net:[N]</c>).</summary>
    internal readonly record struct NetNsLink(ulong NetNs, int Pid, int Fd);

    private static int[] ListPids(int procFd)
    {
        var pids = new List<int>(1024);
        int dir = ProcFs.OpenDirectory(procFd, ".\0"u8);
        if (dir < 0)
        {
            throw new IOException($"cannot list /proc: {ErrnoText.Describe((Errno)(-dir))}");
        }
        try
        {
            byte[] buffer = new byte[32 * 1024];
            while (true)
            {
                int n = ProcFs.GetDents(dir, buffer);
                if (n <= 0)
                {
                    break;
                }
                var reader = new DirentReader(buffer.AsSpan(0, n));
                while (reader.TryRead(out var name, out _))
                {
                    if (ProcParsers.TryParseDecimal(name, out int pid))
                    {
                        pids.Add(pid);
                    }
                }
            }
        }
        finally
        {
            ProcFs.Close(dir);
        }
        return [.. pids];
    }

    /// <summary>Per-thread scanning state: buffers are reused for every process the thread takes.</summary>
    internal sealed class FdWorker(int procFd, SockPeer.Endpoints.EndpointKinds links = SockPeer.Endpoints.EndpointKinds.None)
    {
        public readonly SockPeer.Endpoints.EndpointLinkCollector? Links = (links & ~(SockPeer.Endpoints.EndpointKinds.Tcp | SockPeer.Endpoints.EndpointKinds.Udp)) != 0
            ? new SockPeer.Endpoints.EndpointLinkCollector(links)
            : null;
        private readonly byte[] _dents = new byte[32 * 1024];
        private readonly byte[] _tasks = new byte[8 * 1024];
        private readonly byte[] _path = new byte[64];
        public readonly List<Found> Holders = new(4096);
        public readonly List<NetNsLink> NetNsLinks = [];
        public int Scanned;
        public int Denied;
        public readonly List<int> DeniedPids = [];

        public void ScanProcess(int pid)
        {
            Span<byte> path = _path;
            if (!pid.TryFormat(path, out int len))
            {
                return;
            }
            path[len++] = (byte)'/';
            int pidDirLen = len;
            FdZ.CopyTo(path[len..]);
            Errno errno = ScanFdDirectory(path[..(len + FdZ.Length)], pid);
            if (errno is Errno.EACCES or Errno.EPERM)
            {
                Denied++;
                if (DeniedPids.Count < MaxDeniedPids)
                {
                    DeniedPids.Add(pid); // each worker keeps its lowest few: pids come in ascending order
                }
                return;
            }
            if (errno != Errno.None)
            {
                return; // vanished: normal
            }
            Scanned++;

            // Threads normally share the leader's fd table; the ones that unshared it (or outlived
            // the leader) have their own, and only those are worth a second walk.
            TaskZ.CopyTo(path[pidDirLen..]);
            if (ProcFs.Stat(procFd, path[..(pidDirLen + TaskZ.Length)], follow: true, out _, out _, out _, out _, out uint nlink) != Errno.None
                || nlink <= 3)
            {
                return;
            }
            ScanThreads(pid, path[..(pidDirLen + TaskZ.Length)].ToArray());
        }

        private void ScanThreads(int pid, byte[] taskDirZ)
        {
            int dir = ProcFs.OpenDirectory(procFd, taskDirZ);
            if (dir < 0)
            {
                return;
            }
            var tids = new List<int>();
            try
            {
                while (true)
                {
                    int n = ProcFs.GetDents(dir, _tasks);
                    if (n <= 0)
                    {
                        break;
                    }
                    var reader = new DirentReader(_tasks.AsSpan(0, n));
                    while (reader.TryRead(out var name, out _))
                    {
                        if (ProcParsers.TryParseDecimal(name, out int tid) && tid != pid)
                        {
                            tids.Add(tid);
                        }
                    }
                }
            }
            finally
            {
                ProcFs.Close(dir);
            }
            foreach (int tid in tids)
            {
                if (ProcFs.SameFileTable(pid, tid) == 0)
                {
                    continue;
                }
                byte[] p = ProcFs.Zero($"{pid}/task/{tid}/fd");
                _ = ScanFdDirectory(p, pid);
            }
        }

        private Errno ScanFdDirectory(ReadOnlySpan<byte> pathZ, int pid)
        {
            int dir = ProcFs.OpenDirectory(procFd, pathZ);
            if (dir < 0)
            {
                return (Errno)(-dir);
            }
            Span<byte> link = stackalloc byte[64];
            try
            {
                while (true)
                {
                    int n = ProcFs.GetDents(dir, _dents);
                    if (n < 0)
                    {
                        return (Errno)(-n);
                    }
                    if (n == 0)
                    {
                        return Errno.None;
                    }
                    var reader = new DirentReader(_dents.AsSpan(0, n));
                    while (reader.TryRead(out var name, out var nameZ, out _))
                    {
                        if (name.IsEmpty || name[0] == (byte)'.')
                        {
                            continue;
                        }
                        int l = ProcFs.ReadLink(dir, nameZ, link);
                        if (l == -(int)Errno.EACCES || l == -(int)Errno.EPERM)
                        {
                            // The directory lists, but the links are guarded by a ptrace check on the
                            // whole process: no fd of this table (nor of its threads) will read.
                            return (Errno)(-l);
                        }
                        // Cheap reject of files, pipes and anon inodes before any parsing.
                        if (l < 10 || (link[0] != (byte)'s' && link[0] != (byte)'n'))
                        {
                            if (Links is not null && l > 0)
                            {
                                Links.Offer(dir, nameZ, name, link[..l], pid);
                            }
                            continue;
                        }
                        if (link[0] == (byte)'n')
                        {
                            // An fd of a network namespace keeps it alive with no process in it.
                            if (ProcParsers.TryParseNetNsLink(link[..l], out ulong netns) && ProcParsers.TryParseDecimal(name, out int nsFd))
                            {
                                NetNsLinks.Add(new NetNsLink(netns, pid, nsFd));
                            }
                            continue;
                        }
                        if (ProcParsers.TryParseSocketLink(link[..l], out uint inode)
                            && ProcParsers.TryParseDecimal(name, out int fd))
                        {
                            Holders.Add(new Found(inode, pid, fd, 0));
                        }
                    }
                }
            }
            finally
            {
                ProcFs.Close(dir);
            }
        }
    }
}
