using SockPeer.Collection;
using SockPeer.Model;

namespace SockPeer.Proc;

/// <summary>What a walk of /proc found.</summary>
internal sealed class ProcScanResult
{
    /// <summary>Holders grouped by socket inode, in ascending inode order, each group sorted by pid and fd, without duplicates.</summary>
    public required SocketHolder[] Holders { get; init; }
    /// <summary>The inodes of the sockets with at least one holder, ascending.</summary>
    public required uint[] Inodes { get; init; }
    /// <summary>Group boundaries: the holders of socket Inodes[i] are Holders[Starts[i]..Starts[i + 1]].</summary>
    public required int[] Starts { get; init; }
    /// <summary>Processes that hold at least one of those sockets.</summary>
    public required Dictionary<int, ProcessInfo> Processes { get; init; }
    /// <summary>Processes whose fd tables were read.</summary>
    public int ProcessesScanned { get; init; }
    /// <summary>Processes whose fd tables could not be read (EACCES, EPERM).</summary>
    public int ProcessesDenied { get; init; }
    /// <summary>The lowest few of the pids counted in <see cref="ProcessesDenied"/> (at most <see cref="ProcScanner.MaxDeniedPids"/>).</summary>
    public IReadOnlyList<int> DeniedPids { get; init; } = [];

    /// <summary>The holders of the socket with inode <paramref name="inode"/> (none when it has none), without copying.</summary>
    public IReadOnlyList<SocketHolder> HoldersOf(uint inode)
    {
        int i = Array.BinarySearch(Inodes, inode);
        return i < 0 ? Array.Empty<SocketHolder>() : new ArraySegment<SocketHolder>(Holders, Starts[i], Starts[i + 1] - Starts[i]);
    }
}

/// <summary>The raw result of an fd walk: every socket link found, per worker thread.</summary>
internal sealed class FdScan
{
    internal FdScan(List<ProcScanner.FdWorker> workers) => Workers = workers;

    /// <summary>What the bpf collector's <c>iter/task_file</c> pass found, as the walk's result (no process is denied to it).</summary>
    internal static FdScan FromIterator(FdIteratorRead read)
    {
        var worker = new ProcScanner.FdWorker(-1);
        worker.Holders.AddRange(read.Holders);
        worker.NetNsLinks.AddRange(read.NetNsLinks);
        worker.Scanned = read.Processes;
        return new FdScan([worker]) { ByIterator = true };
    }

    /// <summary>Whether the bpf collector's iterator found these (else the /proc walk did).</summary>
    internal bool ByIterator { get; private init; }

    internal List<ProcScanner.FdWorker> Workers { get; }
}
