using SockPeer.Interop;
using SockPeer.Inventory;
using SockPeer.Proc;

namespace SockPeer.Collection;

/// <summary>What the /proc walk found for one snapshot.</summary>
/// <param name="Scan">Holders and their processes; null when the walk failed or was not asked for.</param>
/// <param name="ProcessesHidden">procfs hides other users' processes (hidepid): a socket with no holder may just be held by one of them.</param>
/// <param name="Warnings">What could not be seen: the walk failed, processes denied or hidden.</param>
/// <param name="Collector">Which collector found the holders: bpf when its iterator was read (or would have been, had holders been asked for), procfs when /proc was walked.</param>
internal sealed record HolderFindings(ProcScanResult? Scan, bool ProcessesHidden, IReadOnlyList<InventoryWarning> Warnings, SnapshotCollector Collector);

/// <summary>
/// Finds which processes hold each socket. The fd walk needs nothing from the dumps, so it starts
/// first and runs on the other cores while they run; once the dumps say which inodes are AF_UNIX
/// sockets, only the links to those are kept and their holders' details are read. Keeps, between
/// snapshots, the user names and the details of processes already read (keyed by pid and start time).
/// </summary>
internal sealed class HolderLookup(InventoryOptions options)
{
    private readonly UserNames _users = new(options.PasswdPath);
    private readonly ProcessDetailsCache _processes = new();

    /// <summary>The processes whose details are kept for the next snapshot.</summary>
    internal int CachedProcesses => _processes.Count;

    /// <summary>Whether the details of <paramref name="pid"/> are kept for the next snapshot.</summary>
    internal bool CachesProcess(int pid) => _processes.Contains(pid);

    /// <summary>Starts the fd walk on its own thread; null when holders are not wanted.</summary>
    public Task<FdScan>? StartFdWalk(CancellationToken cancellationToken)
    {
        if (!options.ResolveHolders)
        {
            return null;
        }
        if (IteratorsAsked && options.Iterators is { } iterators)
        {
            return Task.Factory.StartNew(() => iterators.WaitLoaded(out string why) ? ReadFdIterator(iterators) : WalkInstead(why, cancellationToken),
                cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        return Task.Factory.StartNew(() => WalkProc(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// The bpf collector: one iter/task_file pass finds every socket and namespace descriptor. Pipes,
    /// FIFOs and ptys are named by their /proc links, so asking for them walks /proc.
    /// </summary>
    private bool IteratorsAsked => options.Iterators is not null && (options.Endpoints & ~(Endpoints.EndpointKinds.Tcp | Endpoints.EndpointKinds.Udp)) == 0;

    /// <summary>The /proc walk; the endpoint kinds' links (pipes, FIFOs, ptys) are kept by it, only when asked for.</summary>
    private FdScan WalkProc(CancellationToken cancellationToken)
        => new ProcScanner(options.ProcRoot, options.Parallelism) { Links = options.Endpoints }.ScanFds(cancellationToken);

    /// <summary>The iterators' program did not load: the /proc walk, unless the bpf collector was asked for by name.</summary>
    /// <exception cref="InventoryException">It was.</exception>
    private FdScan WalkInstead(string why, CancellationToken cancellationToken)
        => options.IteratorsRequired ? throw new InventoryException($"the bpf collector cannot run here: {why}") : WalkProc(cancellationToken);

    private readonly byte[] _fdIterator = new byte[64 * 1024];

    /// <summary>The descriptor pass of the bpf collector.</summary>
    /// <exception cref="IOException">The iterator could not be made or read (holders are then unknown, and the warning says why).</exception>
    private FdScan ReadFdIterator(ISnapshotIterators iterators)
    {
        int fd = iterators.OpenFileDescriptors();
        if (fd < 0)
        {
            throw new IOException($"the bpf collector's descriptor iterator could not be made: {ErrnoText.Describe((Errno)(-fd))}");
        }
        using var iterator = new SafeFd(fd);
        var parser = new BpfSnapshotRecords.FdParser();
        IteratorFile.Read(iterator, _fdIterator, parser);
        return FdScan.FromIterator(parser.Finish());
    }

    /// <summary>Waits for the walk and keeps the holders of the sockets in <paramref name="dump"/>.</summary>
    public HolderFindings Resolve(Task<FdScan>? fdWalk, RawDump dump)
    {
        if (fdWalk is null)
        {
            return new HolderFindings(null, false, [], IteratorsAsked ? SnapshotCollector.Bpf : SnapshotCollector.Procfs);
        }
        var warnings = new List<InventoryWarning>();
        ProcScanResult? scan = null;
        // The iterator's own failure (below) is still the bpf collector's; a program that did not load is the walk's.
        var collector = IteratorsAsked && options.Iterators!.WaitLoaded(out _) ? SnapshotCollector.Bpf : SnapshotCollector.Procfs;
        try
        {
            var users = Users();
            var scanner = new ProcScanner(options.ProcRoot, options.Parallelism);
            FdScan walked = fdWalk.GetAwaiter().GetResult();
            collector = walked.ByIterator ? SnapshotCollector.Bpf : SnapshotCollector.Procfs;
            FdScan fds = AccepterRescan.ReadAgainWhereNeeded(walked, dump, scanner);
            scan = scanner.Resolve(fds, dump.Index, dump.Sockets.Count, users, options.ReadProcessDetails, _processes);
        }
        catch (IOException e)
        {
            warnings.Add(new InventoryWarning(WarningCode.HoldersUnknown, $"holders are unknown: {e.Message}"));
        }
        if (scan is { ProcessesDenied: > 0 } && dump.Sockets.Count > 0)
        {
            // Root can be denied too: a process with capabilities this one lacks, or one guarded by an LSM.
            warnings.Add(new InventoryWarning(WarningCode.ProcessesDenied, $"{scan.ProcessesDenied} of {scan.ProcessesDenied + scan.ProcessesScanned} processes could not be inspected "
                + (Environment.IsPrivilegedProcess
                    ? "(permission denied even to root); sockets they hold are listed without those holders"
                    : "(permission denied); sockets they hold are listed without those holders; run as root to see them")) { Count = scan.ProcessesDenied, Pids = scan.DeniedPids });
        }
        string? hidepid = Environment.IsPrivilegedProcess ? null : ReadHidePid();
        if (hidepid is not null)
        {
            warnings.Add(new InventoryWarning(WarningCode.ProcessesHidden, $"procfs is mounted with hidepid={hidepid}: processes of other users are invisible, their sockets show no holders"));
        }
        return new HolderFindings(scan, hidepid is not null, warnings, collector);
    }

    /// <summary>The details of <paramref name="pids"/>, read now, taking what the cache holds of them.</summary>
    public Dictionary<int, Model.ProcessInfo> ReadProcesses(IReadOnlyCollection<int> pids)
        => new ProcScanner(options.ProcRoot, options.Parallelism).ReadProcesses(pids, Users(), _processes);

    private Dictionary<uint, string>? Users()
    {
        var users = _users.Get(out bool changed);
        if (changed)
        {
            _processes.Clear(); // their User fields came from the old file
        }
        return users;
    }

    /// <summary>The hidepid= option of the procfs mounted at ProcRoot, from our own mountinfo; null when processes are not hidden or it cannot be told.</summary>
    private string? ReadHidePid()
    {
        byte[] buffer = new byte[64 * 1024];
        int n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero(options.ProcRoot + "/self/mountinfo"), ref buffer);
        if (n <= 0)
        {
            n = ProcFs.ReadFile(Libc.AT_FDCWD, ProcFs.Zero("/proc/self/mountinfo"), ref buffer);
        }
        if (n <= 0)
        {
            return null;
        }
        string root = Path.GetFullPath(options.ProcRoot);
        root = root.Length > 1 ? root.TrimEnd('/') : root;
        return ProcMountInfo.FindMount(buffer.AsSpan(0, n), root) is { FsType: "proc" } mount ? ProcMountInfo.HidePid(mount.SuperOptions) : null;
    }
}
