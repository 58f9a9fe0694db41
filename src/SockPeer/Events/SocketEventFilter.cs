using SockPeer.Views;

namespace SockPeer.Events;

/// <summary>
/// list's filters applied to an event: it passes when its socket, the other end or the listener
/// matches, in the snapshot the event's sockets come from. An adapter over <see cref="SocketFilter"/>,
/// so watch, record, history and serve's /api/history follow list's filter whatever becomes of it.
/// </summary>
/// <param name="filter">list's filter.</param>
public sealed class SocketEventFilter(SocketFilter filter)
{
    /// <summary>The filter it applies.</summary>
    public SocketFilter Filter => filter;

    /// <summary>Whether <paramref name="e"/> passes: warnings and events without a snapshot always do.</summary>
    public bool Matches(SocketEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
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
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return filter.IsEmpty ? snapshot.Sockets.Count : snapshot.Sockets.Count(s => filter.Matches(snapshot, s));
    }
}
