using SockPeer.Events;
using SockPeer.Views;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// list's filters applied to an event: it passes when its socket, the other end or the listener
/// matches, in the snapshot the event's sockets come from. An adapter over <see cref="SocketFilter"/>,
/// so the watcher follows list's filter whatever becomes of it.
/// </summary>
internal sealed class WatchFilter(SocketFilter filter)
{
    public bool Matches(SocketEvent e)
    {
        if (filter.IsEmpty || e.Kind == SocketEventKind.Warning || e.Snapshot is not { } snapshot)
        {
            return true;
        }
        return (e.Socket is { } s && filter.Matches(snapshot, s))
            || (e.Peer is { } p && filter.Matches(snapshot, p))
            || (e.Listener is { } l && filter.Matches(snapshot, l))
            || e.HoldersLost.Any(h => filter.Pids.Contains(h.Pid)); // a holder that just went
    }

    /// <summary>Sockets of a snapshot the filter lets through: what "watching N sockets" counts.</summary>
    public int Count(SockPeer.Inventory.SocketInventory snapshot)
        => filter.IsEmpty ? snapshot.Sockets.Count : snapshot.Sockets.Count(s => filter.Matches(snapshot, s));
}
