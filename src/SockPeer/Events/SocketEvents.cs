using SockPeer.Diff;
using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Events;

/// <summary>Building blocks every event source shares: the state at start as events, and the processes of an event.</summary>
public static class SocketEvents
{
    /// <summary>
    /// The current state as <see cref="SocketEventKind.Exists"/> events, one per listener, connection
    /// (from its client end), waiting client or other socket; the server end of a connection is not
    /// repeated.
    /// </summary>
    public static IReadOnlyList<SocketEvent> Existing(SocketInventory snapshot, DateTimeOffset time, string source = "poll")
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var shownAsServer = new HashSet<uint>();
        foreach (var s in snapshot.Sockets)
        {
            if (SocketRoles.ConnectionOf(snapshot, s) is { Server: { } server })
            {
                shownAsServer.Add(server.Inode);
            }
        }
        var events = new List<SocketEvent>();
        foreach (var s in snapshot.Sockets)
        {
            if (shownAsServer.Contains(s.Inode))
            {
                continue;
            }
            var c = SocketRoles.ConnectionOf(snapshot, s) ?? SocketRoles.PendingOf(snapshot, s);
            events.Add(new SocketEvent(SocketEventKind.Exists, time)
            {
                Socket = s,
                Peer = c?.Server,
                Listener = c?.Listener,
                Processes = ProcessesOf(snapshot, null, s, c?.Server, c?.Listener, null),
                Snapshot = snapshot,
                Source = source,
            });
        }
        return events;
    }

    /// <summary>
    /// The processes holding the given sockets (and the pids of <paramref name="lost"/> holders),
    /// looked up in <paramref name="snapshot"/> first, then in <paramref name="fallback"/>; ordered by pid.
    /// </summary>
    public static IReadOnlyList<ProcessInfo> ProcessesOf(SocketInventory snapshot, SocketInventory? fallback,
        UnixSocket? socket, UnixSocket? peer, UnixSocket? listener, IReadOnlyList<SocketHolder>? lost)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ReadOnlySpan<IReadOnlyList<SocketHolder>?> all = [socket?.Holders, peer?.Holders, listener?.Holders, lost];
        int count = 0;
        foreach (var holders in all)
        {
            count += holders?.Count ?? 0;
        }
        // On the stack: this runs for every event, and an event's ends have a handful of holders.
        Span<int> pids = count <= 64 ? stackalloc int[count] : new int[count];
        int n = 0;
        foreach (var holders in all)
        {
            for (int i = 0; i < (holders?.Count ?? 0); i++)
            {
                pids[n++] = holders![i].Pid;
            }
        }
        return snapshot.ProcessesOf(pids, fallback); // sorted and each once there
    }
}
