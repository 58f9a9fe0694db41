using SockPeer.Model;

namespace SockPeer.Inventory;

/// <summary>
/// One immutable snapshot: every AF_UNIX socket that could be seen, the processes holding them,
/// and warnings about anything that could not be read.
/// </summary>
public sealed class SocketInventory
{
    private readonly SocketLookup _byInode;
    private readonly Dictionary<int, ProcessInfo> _byPid;

    /// <summary>Builds a snapshot from its parts.</summary>
    public SocketInventory(IReadOnlyList<UnixSocket> sockets, IReadOnlyList<ProcessInfo> processes, IReadOnlyList<InventoryWarning> warnings, bool peersKnown)
    {
        Sockets = sockets;
        Processes = processes;
        WarningDetails = warnings;
        Warnings = Messages(warnings);
        PeersKnown = peersKnown;
        _byInode = new SocketLookup(sockets);
        _byPid = ByPid(processes);
    }

    /// <summary>Sockets, ordered by inode.</summary>
    public IReadOnlyList<UnixSocket> Sockets { get; }
    /// <summary>Processes holding at least one socket, ordered by pid.</summary>
    public IReadOnlyList<ProcessInfo> Processes { get; }
    /// <summary>What could not be read, or may be incomplete: the messages of <see cref="WarningDetails"/>.</summary>
    public IReadOnlyList<string> Warnings { get; }
    /// <summary>What could not be read, or may be incomplete, with a code and counts.</summary>
    public IReadOnlyList<InventoryWarning> WarningDetails { get; }
    /// <summary>False when sock_diag was unavailable and peers could not be known.</summary>
    public bool PeersKnown { get; }

    /// <summary>How long each phase of taking the snapshot took.</summary>
    public SnapshotTimings Timings { get; init; } = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>Processes whose fd tables could not be read: sockets they hold show fewer (or no) holders.</summary>
    public int ProcessesNotInspected { get; init; }

    /// <summary>What read the kernel for this snapshot.</summary>
    public SnapshotCollector Collector { get; init; }

    /// <summary>Pipes, FIFOs, ptys, TCP and UDP endpoints, when <see cref="InventoryOptions.Endpoints"/> asked for them.</summary>
    public SockPeer.Endpoints.EndpointSet? Endpoints { get; init; }

    /// <summary>This snapshot's sockets with other processes and warnings.</summary>
    internal SocketInventory With(IReadOnlyList<ProcessInfo> processes, IReadOnlyList<InventoryWarning> warnings)
        => new(this, processes, warnings) { Timings = Timings, ProcessesNotInspected = ProcessesNotInspected, Endpoints = Endpoints, MountedNetNsNames = MountedNetNsNames, Collector = Collector };

    /// <summary>This snapshot with its sockets renamed (<see cref="Joining.NetNsNaming"/>), other processes and warnings.</summary>
    internal SocketInventory With(IReadOnlyList<UnixSocket> sockets, IReadOnlyList<ProcessInfo> processes, IReadOnlyList<InventoryWarning> warnings)
        => ReferenceEquals(sockets, Sockets)
            ? With(processes, warnings)
            : new(sockets, processes, warnings, PeersKnown) { Timings = Timings, ProcessesNotInspected = ProcessesNotInspected, Endpoints = Endpoints, MountedNetNsNames = MountedNetNsNames, Collector = Collector };

    /// <summary>The `ip netns` names read with this snapshot, kept to name again when processes are read later.</summary>
    internal IReadOnlyList<MountedNetNsName> MountedNetNsNames { get; init; } = [];

    private SocketInventory(SocketInventory from, IReadOnlyList<ProcessInfo> processes, IReadOnlyList<InventoryWarning> warnings)
    {
        Sockets = from.Sockets;
        PeersKnown = from.PeersKnown;
        _byInode = from._byInode; // never written after construction
        Processes = processes;
        WarningDetails = warnings;
        Warnings = Messages(warnings);
        _byPid = ByPid(processes);
    }

    private static string[] Messages(IReadOnlyList<InventoryWarning> warnings)
    {
        var messages = new string[warnings.Count];
        for (int i = 0; i < messages.Length; i++)
        {
            messages[i] = warnings[i].Message;
        }
        return messages;
    }

    private static Dictionary<int, ProcessInfo> ByPid(IReadOnlyList<ProcessInfo> processes)
    {
        var byPid = new Dictionary<int, ProcessInfo>(processes.Count);
        foreach (var p in processes)
        {
            byPid[p.Pid] = p;
        }
        return byPid;
    }

    /// <summary>The socket with this inode, if seen.</summary>
    public UnixSocket? Find(uint inode) => _byInode.Find(inode);

    /// <summary>The process with this pid, if it holds a socket.</summary>
    public ProcessInfo? FindProcess(int pid) => _byPid.GetValueOrDefault(pid);

    /// <summary>
    /// The processes holding any of <paramref name="sockets"/> (null entries are skipped), ordered by
    /// pid; a holder whose details this snapshot lacks is left out (<see cref="HolderPidsOf"/> has every pid).
    /// </summary>
    public IReadOnlyList<ProcessInfo> ProcessesOf(IEnumerable<UnixSocket?> sockets) => ProcessesOf(HolderPidsOf(sockets));

    /// <summary>
    /// The processes of <paramref name="pids"/>, ordered by pid and each once, looked up here first and
    /// then in <paramref name="fallback"/> (an older snapshot, for a process that has just gone).
    /// </summary>
    public IReadOnlyList<ProcessInfo> ProcessesOf(IEnumerable<int> pids, SocketInventory? fallback = null)
    {
        ArgumentNullException.ThrowIfNull(pids);
        return ProcessesOf(pids.ToArray().AsSpan(), fallback);
    }

    /// <summary>As <see cref="ProcessesOf(IEnumerable{int}, SocketInventory?)"/>; sorts <paramref name="pids"/> in place.</summary>
    internal IReadOnlyList<ProcessInfo> ProcessesOf(Span<int> pids, SocketInventory? fallback)
    {
        // Sorted once, not a sorted set: this runs for every event an unfiltered watcher prints.
        pids.Sort();
        var processes = new List<ProcessInfo>(pids.Length);
        for (int i = 0; i < pids.Length; i++)
        {
            if ((i == 0 || pids[i] != pids[i - 1]) && (FindProcess(pids[i]) ?? fallback?.FindProcess(pids[i])) is { } p)
            {
                processes.Add(p);
            }
        }
        return processes;
    }

    /// <summary>Every pid holding one of <paramref name="sockets"/> (null entries are skipped), ordered and each once.</summary>
    public static IReadOnlyList<int> HolderPidsOf(IEnumerable<UnixSocket?> sockets)
    {
        ArgumentNullException.ThrowIfNull(sockets);
        var pids = new List<int>();
        foreach (var s in sockets)
        {
            if (s is null)
            {
                continue;
            }
            foreach (var h in s.Holders)
            {
                pids.Add(h.Pid);
            }
        }
        pids.Sort();
        int n = 0;
        for (int i = 0; i < pids.Count; i++)
        {
            if (i == 0 || pids[i] != pids[n - 1])
            {
                pids[n++] = pids[i];
            }
        }
        pids.RemoveRange(n, pids.Count - n);
        return pids;
    }
}

/// <summary>Where the time of one snapshot went: sock_diag dumps, the /proc walk, and the joins.</summary>
/// <param name="Dump">Namespace planning and every sock_diag dump (with the /proc walk running meanwhile).</param>
/// <param name="Scan">The count check, and waiting for the /proc walk and reading the holders' details.</param>
/// <param name="Join">Everything after: mending, indexes, projection, file status, in-flight inference, containers.</param>
public sealed record SnapshotTimings(TimeSpan Dump, TimeSpan Scan, TimeSpan Join)
{
    /// <summary>Each pass the reader ran, in order, with the time it took.</summary>
    public IReadOnlyList<PassTiming> Passes { get; init; } = [];
}

/// <summary>How long one pass of a snapshot took.</summary>
/// <param name="Name">The pass, as named in the reader (for example <c>dump</c>, <c>mend</c>, <c>in-flight</c>).</param>
/// <param name="Elapsed">Wall-clock time.</param>
public readonly record struct PassTiming(string Name, TimeSpan Elapsed)
{
    /// <summary>Bytes the process allocated on the managed heap during the pass (every thread's: the holder pass runs beside the dumps).</summary>
    public long Allocated { get; init; }
}
