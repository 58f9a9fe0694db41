using System.Globalization;
using System.Text;
using SockPeer.Events;
using SockPeer.Model;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// The human view of `sockpeer watch`: one line per event, local time with milliseconds, the event,
/// then the ends as `list` shows them (`command[pid]:fd #inode`) and the name.
/// </summary>
internal sealed class WatchRenderer(Terminal terminal)
{
    private const int EventWidth = 9;
    // Holders gained or lost shown on a line, as list abbreviates many holders: a fork of a
    // pre-forked server gains hundreds at once.
    private const int HoldersShown = 4;
    private readonly StringBuilder _line = new(256);

    public string Line(SocketEvent e)
    {
        var line = _line.Clear();
        line.Append(terminal.Paint(e.Time.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture), Terminal.Dim)).Append(' ');
        string kind = e.Kind.ToText();
        line.Append(Color(e) is { } color ? terminal.Paint(kind, color) : kind).Append(' ', Math.Max(1, EventWidth - kind.Length));
        if (e.Kind == SocketEventKind.Warning)
        {
            line.Append(e.Message);
            return line.ToString();
        }
        if (e.Socket is not { } s)
        {
            return line.ToString();
        }
        AppendEnd(line, e, s);
        if (e.Peer is { } peer)
        {
            line.Append(e.Kind == SocketEventKind.Close ? " -x- " : " <-> ");
            AppendEnd(line, e, peer);
        }
        else if (e.Listener is { } l)
        {
            line.Append(" --> ").Append(l.Inode == 0 ? "#?" : "#" + l.Inode.ToString(CultureInfo.InvariantCulture)).Append(e.Kind == SocketEventKind.Close ? " (was waiting)" : " (not accepted yet)");
        }
        var named = e.Peer?.NameBytes is not null ? e.Peer : s.NameBytes is not null ? s : e.Listener;
        if (named?.Name is { } name)
        {
            line.Append("  ").Append(name);
        }
        if (e.Peer is null && s.IsSocketPair)
        {
            line.Append("  (socketpair)");
        }
        if (s.Role == SocketRole.Listener && e.Backlog is null)
        {
            line.Append("  backlog ").Append(s.PendingCount?.ToString(CultureInfo.InvariantCulture) ?? "?").Append('/').Append(s.Backlog?.ToString(CultureInfo.InvariantCulture) ?? "?");
        }
        if (e.Backlog is { } b)
        {
            line.Append("  ").Append(b.Full ? terminal.Paint("full", Terminal.Red) : "drained").Append(' ').Append(b.Pending).Append('/').Append(b.Limit);
        }
        if (e.Kind == SocketEventKind.Holders)
        {
            AppendHolders(line, e, e.HoldersGained, '+', "gained");
            AppendHolders(line, e, e.HoldersLost, '-', "lost");
        }
        if (e.ObservedFor is { } observed)
        {
            line.Append(terminal.Paint($"  after {Seconds(observed)}", Terminal.Dim));
        }
        return line.ToString();
    }

    /// <summary>The first few holders, then how many more (the JSON line has them all).</summary>
    private static void AppendHolders(StringBuilder line, SocketEvent e, IReadOnlyList<SocketHolder> holders, char sign, string what)
    {
        for (int i = 0; i < Math.Min(holders.Count, HoldersShown); i++)
        {
            line.Append("  ").Append(sign);
            AppendHolder(line, e, holders[i]);
        }
        if (holders.Count > HoldersShown)
        {
            line.Append("  ").Append(sign).Append(holders.Count - HoldersShown).Append(" more ").Append(what);
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds < 60
        ? t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + "s"
        : t.ToString(t.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);

    private static string? Color(SocketEvent e) => e.Kind switch
    {
        SocketEventKind.Listen or SocketEventKind.Connect or SocketEventKind.Accept => Terminal.Green,
        SocketEventKind.Pending => Terminal.Yellow,
        SocketEventKind.Close or SocketEventKind.Unlisten => Terminal.Red,
        SocketEventKind.Backlog or SocketEventKind.Warning => Terminal.Yellow,
        SocketEventKind.Holders => Terminal.Cyan,
        _ => null,
    };

    /// <summary>`cmd[pid]:fd #inode`, with the count of further holders, as in `list`.</summary>
    private static void AppendEnd(StringBuilder line, SocketEvent e, UnixSocket s)
    {
        if (s.Holders.Count == 0)
        {
            line.Append(EndText.NoHolder(s, e.Snapshot));
        }
        else
        {
            AppendHolder(line, e, s.Holders[0]);
            if (s.Holders.Count > 1)
            {
                line.Append(" +").Append(s.Holders.Count - 1);
            }
        }
        line.Append(" #").Append(s.Inode);
    }

    private static void AppendHolder(StringBuilder line, SocketEvent e, SocketHolder h)
    {
        ProcessInfo? p = null;
        foreach (var candidate in e.Processes)
        {
            if (candidate.Pid == h.Pid)
            {
                p = candidate;
                break;
            }
        }
        line.Append(p is null ? "?" : SocketName.Escape(p.Command)).Append('[').Append(h.Pid).Append(']');
        if (p?.Container is { Runtime: not "systemd" } c)
        {
            line.Append('{').Append(c.Runtime).Append(':').Append(SocketName.Escape(c.Name ?? c.Id ?? "?")).Append('}');
        }
        line.Append(':').Append(h.Fd);
    }
}
