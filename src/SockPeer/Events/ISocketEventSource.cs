using SockPeer.Inventory;

namespace SockPeer.Events;

/// <summary>
/// Where a watcher's events come from. <see cref="SnapshotPoller"/> compares snapshots taken every
/// interval; a kernel event source (eBPF) would report each connect, accept and close as it happens,
/// joined with a snapshot for holders and names. The watcher drives a source from one thread:
/// <see cref="Start"/> once, then <see cref="Next"/> until it is cancelled.
/// </summary>
public interface ISocketEventSource : IDisposable
{
    /// <summary>Short name shown to the user and written as each event's <c>source</c>: <c>poll</c>, <c>ebpf</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Takes the first snapshot and returns it: the state before any event (for <c>exists</c> events and
    /// the count of watched sockets). Its warnings are returned by the first <see cref="Next"/>.
    /// </summary>
    SocketInventory Start(CancellationToken cancellationToken);

    /// <summary>
    /// Blocks until the next batch of events, in the order they happened. An empty batch means nothing
    /// changed (a poller returns one per interval) or that <paramref name="cancellationToken"/> was
    /// cancelled; a cancelled wait returns at once rather than throwing.
    /// </summary>
    IReadOnlyList<SocketEvent> Next(CancellationToken cancellationToken);
}
