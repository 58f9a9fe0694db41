using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Events;

/// <summary>What a <see cref="SocketEvent"/> reports.</summary>
public enum SocketEventKind
{
    /// <summary>The state when watching started (<c>--initial</c>): a listener, connection, waiting client or other socket.</summary>
    Exists,
    /// <summary>A listening socket, or a bound datagram server, appeared.</summary>
    Listen,
    /// <summary>A listening socket or bound datagram server went away (or stopped listening).</summary>
    Unlisten,
    /// <summary>A new connection, seen established: both ends, and the listener it reached.</summary>
    Connect,
    /// <summary>A new client waiting in a listener's accept queue.</summary>
    Pending,
    /// <summary>A waiting client was accepted: the same client, now with its server end.</summary>
    Accept,
    /// <summary>A connection or waiting client went away.</summary>
    Close,
    /// <summary>A listener's accept queue went over its limit, or drained below it.</summary>
    Backlog,
    /// <summary>The set of (pid, fd) holding a socket changed: fork, exit, close, descriptor passing.</summary>
    Holders,
    /// <summary>Something could not be read, or the watcher fell behind.</summary>
    Warning,
}

/// <summary>A listener's accept queue when a <see cref="SocketEventKind.Backlog"/> event happened.</summary>
/// <param name="Pending">Clients waiting.</param>
/// <param name="Limit">The backlog limit (the kernel admits one more than this).</param>
/// <param name="Full">True when the queue went over its limit; false when it drained.</param>
public sealed record BacklogState(uint Pending, uint Limit, bool Full);

/// <summary>
/// One change to the sockets of a host, from whichever source saw it (polled snapshots, or a kernel
/// event source). Sockets are the model's records as the snapshot named by <see cref="Snapshot"/>
/// saw them: the newer snapshot for what appeared, the older one for what went away.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Time">When it was seen: the time the snapshot that showed it was taken.</param>
public sealed record SocketEvent(SocketEventKind Kind, DateTimeOffset Time)
{
    /// <summary>The socket the event is about: the client end for connect, pending, accept and close; the listener for listen, unlisten and backlog.</summary>
    public UnixSocket? Socket { get; init; }
    /// <summary>The other end, when there is one.</summary>
    public UnixSocket? Peer { get; init; }
    /// <summary>The listener a client reached, when known.</summary>
    public UnixSocket? Listener { get; init; }
    /// <summary>Every process holding <see cref="Socket"/>, <see cref="Peer"/> or <see cref="Listener"/>, and those in <see cref="HoldersLost"/> when still known, ordered by pid.</summary>
    public IReadOnlyList<ProcessInfo> Processes { get; init; } = [];
    /// <summary>For close and unlisten: how long the connection or listener was observed. A lower bound for those that existed when watching started.</summary>
    public TimeSpan? ObservedFor { get; init; }
    /// <summary>For backlog events: the queue.</summary>
    public BacklogState? Backlog { get; init; }
    /// <summary>For holders events: (pid, fd) pairs that hold the socket now and did not before.</summary>
    public IReadOnlyList<SocketHolder> HoldersGained { get; init; } = [];
    /// <summary>For holders events: (pid, fd) pairs that held the socket and no longer do.</summary>
    public IReadOnlyList<SocketHolder> HoldersLost { get; init; } = [];
    /// <summary>For warnings: the sentence to show.</summary>
    public string? Message { get; init; }
    /// <summary>For warnings: a stable code (the snapshot's <see cref="WarningCode"/> as text, or <c>slow_poll</c>).</summary>
    public string? Code { get; init; }
    /// <summary>The snapshot the sockets come from, for filters and for looking up other ends; null for warnings.</summary>
    public SocketInventory? Snapshot { get; init; }
    /// <summary>Which source saw it: <c>poll</c>, or a kernel event source's name.</summary>
    public string Source { get; init; } = "poll";
}

/// <summary>Text forms of <see cref="SocketEventKind"/>.</summary>
public static class SocketEventKindText
{
    /// <summary>The <c>event</c> field of a watch line: <c>connect</c>, <c>unlisten</c>, ...</summary>
    public static string ToText(this SocketEventKind kind) => kind switch
    {
        SocketEventKind.Exists => "exists",
        SocketEventKind.Listen => "listen",
        SocketEventKind.Unlisten => "unlisten",
        SocketEventKind.Connect => "connect",
        SocketEventKind.Pending => "pending",
        SocketEventKind.Accept => "accept",
        SocketEventKind.Close => "close",
        SocketEventKind.Backlog => "backlog",
        SocketEventKind.Holders => "holders",
        _ => "warning",
    };
}
