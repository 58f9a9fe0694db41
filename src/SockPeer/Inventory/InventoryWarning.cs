namespace SockPeer.Inventory;

/// <summary>
/// What kind of thing could not be read. Stable: a long-running process counts warnings by code
/// (<c>sockpeer_warnings{code=...}</c>), and the JSON's <c>warningDetails</c> carries it as text.
/// </summary>
public enum WarningCode
{
    /// <summary>A sock_diag dump stopped early, lost replies or was cut: sockets may be missing.</summary>
    DumpIncomplete,
    /// <summary>The kernel flagged a dump as interrupted by concurrent changes.</summary>
    DumpInterrupted,
    /// <summary>A malformed sock_diag reply or record was skipped.</summary>
    DumpMalformed,
    /// <summary>Fewer sockets were dumped than the kernel counts in use.</summary>
    CountMismatch,
    /// <summary>Stream peers named in a dump were absent from it and could not all be looked up.</summary>
    PeersNotLookedUp,
    /// <summary>A listener's pending clients could not be read at all.</summary>
    PendingUnknown,
    /// <summary>Listeners with more pending clients than one reply can list.</summary>
    PendingPartial,
    /// <summary>One network namespace could not be dumped.</summary>
    NamespaceNotDumped,
    /// <summary>Other network namespaces could not be entered (no CAP_SYS_ADMIN).</summary>
    NamespacesNotEntered,
    /// <summary>Other network namespaces could not be found (processes' ns links unreadable).</summary>
    NamespacesNotFound,
    /// <summary>Socket fds seen in /proc that no dump produced.</summary>
    SocketsInNoDump,
    /// <summary>sock_diag is unavailable: sockets come from /proc/net/unix, without peers.</summary>
    ProcNetUnixFallback,
    /// <summary>Rows of /proc/net/unix that could not be parsed.</summary>
    ProcNetUnixMalformed,
    /// <summary>The /proc walk failed: holders are unknown.</summary>
    HoldersUnknown,
    /// <summary>Processes whose fd tables could not be read.</summary>
    ProcessesDenied,
    /// <summary>procfs hides other users' processes (hidepid).</summary>
    ProcessesHidden,
    /// <summary>Process details (command, user, container) could not be read.</summary>
    ProcessDetailsUnknown,
    /// <summary>More sockets held by no process than descriptors in flight: which are in flight cannot be told.</summary>
    InFlightAmbiguous,
    /// <summary>Sockets in flight on one of several queues; the kernel does not say which.</summary>
    InFlightQueueUnknown,
    /// <summary>Sockets taken to be in flight that an uninspected process may hold instead.</summary>
    InFlightUnverified,
}

/// <summary>
/// One thing the snapshot could not read, or may have read incompletely. <see cref="Message"/> is the
/// sentence the user sees; the other fields let a program count and filter warnings without parsing it.
/// </summary>
/// <param name="Code">What kind of warning it is.</param>
/// <param name="Message">The text shown to the user (schema 1's <c>warnings</c> strings).</param>
public sealed record InventoryWarning(WarningCode Code, string Message)
{
    /// <summary>The network namespace it concerns, when it concerns one.</summary>
    public ulong? NetNs { get; init; }
    /// <summary>How many sockets, processes or namespaces it concerns; 0 when not counted.</summary>
    public int Count { get; init; }
    /// <summary>The processes it concerns, when known (at most a few are kept).</summary>
    public IReadOnlyList<int> Pids { get; init; } = [];

    /// <inheritdoc/>
    public override string ToString() => Message;
}

/// <summary>Text forms of <see cref="WarningCode"/>.</summary>
public static class WarningCodeText
{
    /// <summary>snake_case, as in metrics labels and JSON: <c>dump_incomplete</c>.</summary>
    public static string ToText(this WarningCode code) => code switch
    {
        WarningCode.DumpIncomplete => "dump_incomplete",
        WarningCode.DumpInterrupted => "dump_interrupted",
        WarningCode.DumpMalformed => "dump_malformed",
        WarningCode.CountMismatch => "count_mismatch",
        WarningCode.PeersNotLookedUp => "peers_not_looked_up",
        WarningCode.PendingUnknown => "pending_unknown",
        WarningCode.PendingPartial => "pending_partial",
        WarningCode.NamespaceNotDumped => "namespace_not_dumped",
        WarningCode.NamespacesNotEntered => "namespaces_not_entered",
        WarningCode.NamespacesNotFound => "namespaces_not_found",
        WarningCode.SocketsInNoDump => "sockets_in_no_dump",
        WarningCode.ProcNetUnixFallback => "proc_net_unix_fallback",
        WarningCode.ProcNetUnixMalformed => "proc_net_unix_malformed",
        WarningCode.HoldersUnknown => "holders_unknown",
        WarningCode.ProcessesDenied => "processes_denied",
        WarningCode.ProcessesHidden => "processes_hidden",
        WarningCode.ProcessDetailsUnknown => "process_details_unknown",
        WarningCode.InFlightAmbiguous => "in_flight_ambiguous",
        WarningCode.InFlightQueueUnknown => "in_flight_queue_unknown",
        WarningCode.InFlightUnverified => "in_flight_unverified",
        _ => "unknown",
    };
}
