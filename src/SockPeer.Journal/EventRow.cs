using System.Buffers;
using SockPeer.Events;
using SockPeer.Json;
using SockPeer.Model;

namespace SockPeer.Journal;

/// <summary>One end of a stored event: its first holder and that process.</summary>
internal readonly record struct EventEnd(int? Pid, int? Fd, uint? Inode, string? Command, uint? Uid, string? User, string? Container)
{
    public static readonly EventEnd None = new(null, null, null, null, null, null, null);
}

/// <summary>
/// The indexed columns of one event and its exact watch line (written by <see cref="SocketEventJsonWriter"/>,
/// the one writer). The server end is the socket when its role serves (<see cref="SocketRoleText.Serves"/>),
/// else the event's peer or the listener it reached; the client end is the socket otherwise: the
/// event's own contract (<see cref="SocketEvent.Socket"/> is the client end of connection events).
/// </summary>
/// <remarks><see cref="Json"/> lies in the buffer given to <see cref="From"/>: valid until its next use.</remarks>
internal readonly record struct EventRow(long TimeNs, string Kind, string? Path, EventEnd Client, EventEnd Server, ulong? NetNs, long? DurationNs, string Source, ReadOnlyMemory<byte> Json)
{
    /// <summary>The row of <paramref name="e"/>; the path's text is kept in <paramref name="names"/> across calls.</summary>
    public static EventRow From(SocketEvent e, ArrayBufferWriter<byte> buffer, SocketNameText names)
    {
        buffer.ResetWrittenCount();
        SocketEventJsonWriter.WriteLine(buffer, e, compact: true); // history writes it out in full again
        var json = buffer.WrittenMemory[..^1]; // without the newline
        var s = e.Socket;
        bool serves = s is not null && s.Role.Serves();
        var client = s is null || serves ? EventEnd.None : End(e, s);
        var server = serves ? End(e, s!) : (e.Peer ?? e.Listener) is { } other ? End(e, other) : EventEnd.None;
        // The name, as the renderer picks it: the other end's (an accepted socket carries the listener's), the socket's, the listener's.
        var named = e.Peer?.NameBytes is not null ? e.Peer : s?.NameBytes is not null ? s : e.Listener;
        return new EventRow(ToNs(e.Time), e.Kind.ToText(), names.Of(named?.NameBytes), client, server, s?.NetNs,
            e.ObservedFor is { } d ? d.Ticks * 100 : null, e.Source, json);
    }

    /// <summary>Nanoseconds since the Unix epoch.</summary>
    public static long ToNs(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    /// <summary>The inverse of <see cref="ToNs"/>.</summary>
    public static DateTimeOffset FromNs(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / 100);

    private static EventEnd End(SocketEvent e, UnixSocket s)
    {
        if (s.Holders.Count == 0)
        {
            return EventEnd.None with { Inode = s.Inode, Uid = s.Uid };
        }
        var h = s.Holders[0];
        ProcessInfo? p = null;
        for (int i = 0; i < e.Processes.Count; i++) // indexed: no enumerator allocated per event
        {
            if (e.Processes[i].Pid == h.Pid)
            {
                p = e.Processes[i];
                break;
            }
        }
        string? container = p?.Container is { } c ? $"{c.Runtime}:{c.Name ?? c.Id}" : null;
        return new EventEnd(h.Pid, h.Fd, s.Inode, p?.Command, p?.Uid ?? s.Uid, p?.User, container);
    }
}
