namespace SockPeer.Inventory;

/// <summary>
/// The kernel side of the bpf collector: a BPF iterator loaded once and read on each snapshot. The
/// engine reads the iterator and parses its records; an implementation (SockPeer.Ebpf's
/// <c>SnapshotIterators</c>) only loads the program and creates iterator descriptors.
/// </summary>
public interface ISnapshotIterators
{
    /// <summary>
    /// Creates an iterator over every process's descriptors (<c>iter/task_file</c>; socket and
    /// network-namespace descriptors are written). Returns its descriptor, which the caller reads to
    /// the end and closes, or a negative errno.
    /// </summary>
    int OpenFileDescriptors();

    /// <summary>
    /// Waits until the program is loaded (an implementation may load it on another thread while the
    /// snapshot's dumps run); false, with the reason (one sentence), when it could not be.
    /// </summary>
    bool WaitLoaded(out string why)
    {
        why = "";
        return true;
    }
}

/// <summary>What produced a snapshot's raw facts.</summary>
public enum SnapshotCollector
{
    /// <summary>sock_diag dumps per network namespace and the /proc/PID/fd walk.</summary>
    Procfs,
    /// <summary>sock_diag dumps per network namespace and one BPF <c>iter/task_file</c> pass for every process's descriptors.</summary>
    Bpf,
}
