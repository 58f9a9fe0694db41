using SockPeer.Model;

namespace SockPeer.Proc;

/// <summary>
/// Process details kept between snapshots by a long-lived reader. Reading a holder's comm, status,
/// cmdline and cgroup costs four files; telling that it is the same process as last time costs one
/// (/proc/PID/stat). A pid is reused once its process is reaped, so an entry is keyed by the pid and
/// the start time (stat field 22, which a new process with the same pid cannot share) and the comm
/// (which changes on exec, together with the cmdline). The parent and the network namespace are
/// read anew every time; uid, cmdline and cgroup are trusted while (pid, start time, comm) holds.
/// Entries of processes that were not seen in a snapshot are dropped by <see cref="Replace"/>.
/// Lookups may run on many threads at once; <see cref="Replace"/> runs alone, between snapshots.
/// </summary>
internal sealed class ProcessDetailsCache
{
    private Dictionary<int, Entry> _entries = [];

    /// <summary>One cached process: what identifies it and what was read of it.</summary>
    internal readonly record struct Entry(ulong StartTime, byte[] Comm, ProcessInfo Info);

    /// <summary>How many processes are cached.</summary>
    public int Count => _entries.Count;

    /// <summary>Whether details of <paramref name="pid"/> are kept.</summary>
    public bool Contains(int pid) => _entries.ContainsKey(pid);

    /// <summary>The details read earlier of this very process, if any.</summary>
    public bool TryGet(int pid, ulong startTime, ReadOnlySpan<byte> comm, out ProcessInfo info)
    {
        if (_entries.TryGetValue(pid, out var e) && e.StartTime == startTime && comm.SequenceEqual(e.Comm))
        {
            info = e.Info;
            return true;
        }
        info = null!;
        return false;
    }

    /// <summary>Keeps exactly the processes read in the latest snapshot: every other entry is of a process that is gone or holds no socket now.</summary>
    public void Replace(Dictionary<int, Entry> seen) => _entries = seen;

    /// <summary>Forgets everything (the user names changed, so every cached <see cref="ProcessInfo.User"/> may be stale).</summary>
    public void Clear() => _entries = [];
}
