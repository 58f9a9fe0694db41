using SockPeer.Netlink;

namespace SockPeer.Inventory;

/// <summary>Where the reader takes its data from. The defaults read this machine.</summary>
public sealed record InventoryOptions
{
    /// <summary>Where procfs is mounted.</summary>
    public string ProcRoot { get; init; } = "/proc";
    /// <summary>The passwd file for user names.</summary>
    public string PasswdPath { get; init; } = "/etc/passwd";
    /// <summary>Opens sock_diag channels; replaceable to inject faults.</summary>
    internal IDiagChannelFactory? Channels { get; init; }
    /// <summary>Threads for the /proc walk; 0 means one per core.</summary>
    public int Parallelism { get; init; }
    /// <summary>Map holders from /proc (the expensive part); off gives sockets only.</summary>
    public bool ResolveHolders { get; init; } = true;
    /// <summary>
    /// Read each holder's command, status, cmdline and cgroup. Off leaves <see cref="SocketInventory.Processes"/>
    /// empty so that a query about a few sockets reads only their holders, with <see cref="SocketInventoryReader.WithProcesses"/>.
    /// </summary>
    public bool ReadProcessDetails { get; init; } = true;
    /// <summary>Check each socket file's path against the socket's file identity.</summary>
    public bool CheckFiles { get; init; } = true;
    /// <summary>Endpoint kinds to read besides Unix sockets (<see cref="SocketInventory.Endpoints"/>); none by default.</summary>
    public SockPeer.Endpoints.EndpointKinds Endpoints { get; init; }
    /// <summary>Which network namespaces to dump.</summary>
    public NetNsScope NetNs { get; init; } = NetNsScope.Current;
    /// <summary>
    /// The bpf collector's iterators; null reads through sock_diag and /proc (the procfs collector).
    /// Everything after the collection (joins, roles, views) is the same for both.
    /// </summary>
    public ISnapshotIterators? Iterators { get; init; }
    /// <summary>
    /// When <see cref="Iterators"/> could not be loaded: true fails the snapshot with an
    /// <see cref="InventoryException"/> (the bpf collector was asked for by name); false walks /proc
    /// instead, and <see cref="SocketInventory.Collector"/> says so (auto).
    /// </summary>
    public bool IteratorsRequired { get; init; }
    /// <summary>With <see cref="NetNsScope.One"/>: a namespace inode, or a path such as /run/netns/NAME or /proc/PID/ns/net.</summary>
    public string? NetNsTarget { get; init; }
    /// <summary>
    /// Before the model is projected, collect what the dump passes left behind and give the freed memory
    /// back to the system (one blocking, compacting collection). For a process that takes one snapshot and
    /// cares about its peak: on 40,000 sockets the model is then made in memory the dumps' garbage held,
    /// not in more of it (population A's `list`: peak RSS 44 to 35 MiB on its own, 10–20 ms). Only from <see cref="CompactionThreshold"/>
    /// sockets. Off by default: a kept reader reuses its heap.
    /// </summary>
    public bool CompactBeforeProjection { get; init; }

    /// <summary>
    /// The snapshot size (sockets) from which compacting pays: below it the dumps leave a few MiB of
    /// garbage, which the collector's own budget absorbs, and a collection would only cost time.
    /// </summary>
    public const int CompactionThreshold = 10_000;
}

/// <summary>Which network namespaces a snapshot covers.</summary>
public enum NetNsScope
{
    /// <summary>The caller's own.</summary>
    Current,
    /// <summary>Every namespace in use on the host (needs CAP_SYS_ADMIN to enter the others).</summary>
    All,
    /// <summary>The one named by <see cref="InventoryOptions.NetNsTarget"/>.</summary>
    One,
}
