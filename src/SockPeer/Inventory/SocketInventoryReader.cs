using System.Diagnostics;
using SockPeer.Collection;
using SockPeer.Endpoints.Families;
using SockPeer.Interop;
using SockPeer.Joining;
using SockPeer.Model;
using SockPeer.Netlink;
using SockPeer.Proc;

namespace SockPeer.Inventory;

/// <summary>
/// Takes snapshots of every AF_UNIX socket in the chosen network namespaces, with peers, listeners,
/// pending clients, file status, in-flight sockets and holders, and the endpoint families asked for
/// (pipes, FIFOs, ptys, TCP, UDP: <see cref="EndpointFamilies"/>). It only runs the passes and times
/// them; each pass is one type under <c>Collection/</c> (reading the kernel) or <c>Joining/</c> (pure
/// joins over the raw dump, their I/O behind probes), takes its input and returns its output with its
/// warnings, and the reader puts the warnings together in pass order. A reader kept by a long-running process
/// reuses its netlink buffers and keeps user names and holders' details between snapshots; it never
/// keeps a namespace open between snapshots (an open handle keeps a dead namespace alive).
/// </summary>
public sealed class SocketInventoryReader
{
    private readonly InventoryOptions _options;
    private readonly IDiagChannelFactory _channels;
    private readonly NamespaceDumper _dumper = new();
    private readonly EndpointFamilies _families;
    private readonly NamespaceDumps _dumps;
    private readonly HeldNamespaceDumps _held;
    private readonly HolderLookup _holders;
    private readonly object _gate = new();

    /// <summary>Creates a reader; null options read this machine.</summary>
    public SocketInventoryReader(InventoryOptions? options = null)
    {
        _options = options ?? new InventoryOptions();
        _channels = _options.Channels ?? new KernelDiagChannelFactory();
        _families = new EndpointFamilies(_options.Endpoints);
        var dumper = new FamilyDumper(_dumper, _families);
        _dumps = new NamespaceDumps(_options, _channels, dumper);
        _held = new HeldNamespaceDumps(_options, _channels, dumper);
        _holders = new HolderLookup(_options);
    }

    /// <summary>Processes whose details are kept for the next snapshot (for tests and benchmarks).</summary>
    internal int CachedProcesses => _holders.CachedProcesses;

    /// <summary>Whether the details of <paramref name="pid"/> are kept for the next snapshot.</summary>
    internal bool CachesProcess(int pid) => _holders.CachesProcess(pid);

    /// <summary>Takes one snapshot.</summary>
    public SocketInventory Read() => Read(CancellationToken.None);

    /// <summary>Takes one snapshot; cancelling stops it between passes (and the /proc walk between processes).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InventoryException">No snapshot could be taken at all.</exception>
    public SocketInventory Read(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            try
            {
                return ReadLocked(cancellationToken);
            }
            catch (Exception e) when (e is DiagUnavailableException or NetlinkFormatException)
            {
                // The netlink layer's exceptions are internal: a caller catches one documented type.
                throw new InventoryException(e.Message, e);
            }
        }
    }

    private SocketInventory ReadLocked(CancellationToken cancellationToken)
    {
        var clock = new PassClock();
        cancellationToken.ThrowIfCancellationRequested();

        // Stopped if anything below fails, so that no walk outlives the snapshot that started it.
        using var walkStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<FdScan>? fdWalk = null;
        FdScan? walked = null;
        CollectedDumps dumped;
        CollectedDumps? heldDumped = null;
        IReadOnlyList<InventoryWarning> countWarnings;
        HolderFindings holders;
        TimeSpan dumpTime, scanTime;
        try
        {
            using (NamespacePlan plan = NamespacePlanner.Plan(_options, _held))
            {
                clock.Lap("plan");
                fdWalk = _holders.StartFdWalk(walkStop.Token);
                dumped = _dumps.Collect(plan, cancellationToken);
                clock.Lap("dump");
                if (fdWalk is not null && dumped.Raw.PeersKnown && _options.NetNs == NetNsScope.All && WalkedFds(fdWalk) is { } fds)
                {
                    // Namespaces no process is in are found from the fd walk, and dumped while the plan's are open.
                    heldDumped = _held.Collect(fds, plan, dumped.Raw, dumped.Endpoints, (_families.Kinds & (Endpoints.EndpointKinds.Tcp | Endpoints.EndpointKinds.Udp)) != 0);
                    clock.Lap("held-namespaces");
                }
            }
            dumpTime = clock.Total;
            cancellationToken.ThrowIfCancellationRequested();
            countWarnings = CountCrossCheck.Check(heldDumped?.Raw ?? dumped.Raw);
            clock.Lap("count-check");
            walked = _families.Any && fdWalk is not null ? WalkedFds(fdWalk) : null;
            holders = _holders.Resolve(fdWalk, heldDumped?.Raw ?? dumped.Raw);
            fdWalk = null;
            clock.Lap("holders");
            scanTime = clock.Total - dumpTime;
        }
        finally
        {
            if (fdWalk is not null)
            {
                walkStop.Cancel();
                try
                {
                    fdWalk.Wait(CancellationToken.None);
                }
                catch (AggregateException)
                {
                    // It was stopped, or failed; the snapshot is failing already.
                }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();

        RawDump raw = TornReadMending.Mend(heldDumped?.Raw ?? dumped.Raw);
        clock.Lap("mend");
        var indexes = SocketIndexes.Build(raw);
        clock.Lap("index");
        if (_options.CompactBeforeProjection && raw.Sockets.Count >= InventoryOptions.CompactionThreshold)
        {
            // What is live now (the raw records, the indexes, the holders) stays; the dumps' garbage goes.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            clock.Lap("compact");
        }
        var files = _options.CheckFiles ? new SocketFileCheck(new ProcSocketFileProbe(_options.ProcRoot)) : SocketFileCheck.Disabled;
        UnixSocket[] sockets = ModelProjection.Project(raw, indexes, holders.Scan, files);
        clock.Lap("project");
        IReadOnlyList<InventoryWarning> inFlightWarnings = [];
        if (holders.Scan is { } scan && raw.PeersKnown)
        {
            var evidence = new HolderEvidence(!holders.ProcessesHidden && (scan.ProcessesDenied == 0 || Environment.IsPrivilegedProcess), scan.ProcessesDenied);
            (sockets, inFlightWarnings) = InFlightInference.Infer(sockets, evidence, new KernelInFlightProbe(_options.ProcRoot, _channels, _dumper.Dump));
            clock.Lap("in-flight");
        }
        IReadOnlyList<ProcessInfo> processes = holders.Scan is null ? [] : ContainerNaming.Name(holders.Scan.Processes.Values.OrderBy(p => p.Pid), DockerNames.Find);
        clock.Lap("containers");
        IReadOnlyList<FamilyDump> endpointDumps = heldDumped is null ? dumped.Endpoints : [.. dumped.Endpoints, .. heldDumped.Endpoints];
        EndpointJoin? endpoints = _families.Join(endpointDumps, walked);
        if (endpoints is not null)
        {
            if (holders.Scan is not null && _options.ReadProcessDetails)
            {
                processes = Endpoints.EndpointProcesses.Add(processes, endpoints.Set, pids => ContainerNaming.Name(_holders.ReadProcesses(pids).Values, DockerNames.Find));
            }
            clock.Lap("endpoints");
        }

        IReadOnlyList<MountedNetNsName> mounted = NamedNetNsMounts.Find();
        IReadOnlyList<UnixSocket> named;
        (named, processes) = NetNsNaming.Name(sockets, processes, mounted);
        clock.Lap("netns-names");

        List<InventoryWarning> warnings = [.. dumped.Warnings];
        if (heldDumped is not null)
        {
            warnings.AddRange(heldDumped.Warnings);
        }
        warnings.AddRange(countWarnings);
        warnings.AddRange(holders.Warnings);
        warnings.AddRange(inFlightWarnings);
        foreach (var d in endpointDumps)
        {
            warnings.AddRange(d.Warnings);
        }
        if (endpoints is not null)
        {
            warnings.AddRange(endpoints.Warnings);
        }
        return new SocketInventory(named, processes, warnings, raw.PeersKnown)
        {
            MountedNetNsNames = mounted,
            Endpoints = endpoints?.Set,
            ProcessesNotInspected = holders.Scan?.ProcessesDenied ?? 0,
            Collector = holders.Collector,
            Timings = new SnapshotTimings(dumpTime, scanTime, clock.Total - dumpTime - scanTime) { Passes = clock.Passes },
        };
    }

    /// <summary>The fd walk's links, or null when it failed (the holder lookup says so as "holders are unknown").</summary>
    private static FdScan? WalkedFds(Task<FdScan> walk)
    {
        try
        {
            return walk.GetAwaiter().GetResult();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The same snapshot with the details of <paramref name="pids"/> read now, for a snapshot taken
    /// without <see cref="InventoryOptions.ReadProcessDetails"/>: a query that shows a few sockets reads
    /// a few processes rather than every holder on the host.
    /// </summary>
    public SocketInventory WithProcesses(SocketInventory inventory, IEnumerable<int> pids)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var wanted = new HashSet<int>();
        foreach (int pid in pids)
        {
            if (inventory.FindProcess(pid) is null)
            {
                wanted.Add(pid);
            }
        }
        if (wanted.Count == 0)
        {
            return inventory;
        }
        Dictionary<int, ProcessInfo> read;
        try
        {
            lock (_gate)
            {
                read = _holders.ReadProcesses(wanted);
            }
        }
        catch (IOException e)
        {
            return inventory.With(inventory.Processes, [.. inventory.WarningDetails, new InventoryWarning(WarningCode.ProcessDetailsUnknown, $"process details are unknown: {e.Message}")]);
        }
        var all = new List<ProcessInfo>(inventory.Processes.Count + read.Count);
        all.AddRange(inventory.Processes);
        all.AddRange(ContainerNaming.Name(read.Values, DockerNames.Find));
        all.Sort((a, b) => a.Pid.CompareTo(b.Pid));
        // The processes read now may be what names a container's namespace: name again, over every process.
        var (sockets, processes) = NetNsNaming.Name(inventory.Sockets, all, inventory.MountedNetNsNames);
        return inventory.With(sockets, processes, inventory.WarningDetails);
    }

    /// <summary>Times the passes of one snapshot, each from the end of the one before.</summary>
    private sealed class PassClock
    {
        private readonly List<PassTiming> _passes = new(10);
        private long _last = Stopwatch.GetTimestamp();
        private long _allocated = GC.GetTotalAllocatedBytes(precise: false);

        public IReadOnlyList<PassTiming> Passes => _passes;

        /// <summary>The sum of the passes so far, so that phases made of passes add up exactly.</summary>
        public TimeSpan Total { get; private set; }

        public void Lap(string pass)
        {
            long now = Stopwatch.GetTimestamp();
            var elapsed = Stopwatch.GetElapsedTime(_last, now);
            long allocated = GC.GetTotalAllocatedBytes(precise: false);
            _passes.Add(new PassTiming(pass, elapsed) { Allocated = allocated - _allocated });
            _allocated = allocated;
            Total += elapsed;
            _last = now;
        }
    }
}

/// <summary>A snapshot could not be taken at all.</summary>
public sealed class InventoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InventoryException() { }

    /// <summary>Creates the exception.</summary>
    public InventoryException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public InventoryException(string message, Exception inner) : base(message, inner) { }
}
