namespace SockPeer.Inventory;

/// <summary>
/// The kernel side of the bpf collector: BPF iterators loaded once and read on each snapshot. The engine
/// reads the iterators and parses their records; an implementation (SockPeer.Ebpf's
/// <c>SnapshotIterators</c>) only loads the program and creates iterator descriptors.
/// </summary>
public interface ISnapshotIterators
{
    /// <summary>
    /// Creates an iterator over the AF_UNIX sockets of the calling thread's network namespace (it is
    /// bound to the namespace it was created in). Returns its descriptor, which the caller reads to the
    /// end and closes, or a negative errno.
    /// </summary>
    int OpenUnixSockets();

    /// <summary>Creates an iterator over every process's descriptors (socket and network-namespace ones are written); a descriptor or a negative errno.</summary>
    int OpenFileDescriptors();
}

/// <summary>What produced a snapshot's raw facts.</summary>
public enum SnapshotCollector
{
    /// <summary>sock_diag dumps per network namespace and the /proc/PID/fd walk.</summary>
    Procfs,
    /// <summary>BPF iterators: <c>iter/unix</c> per network namespace and one <c>iter/task_file</c> pass for every process's descriptors.</summary>
    Bpf,
}
