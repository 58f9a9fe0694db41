using System.Buffers;
using System.Globalization;
using System.Text;
using SockPeer.Events;
using SockPeer.Model;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// The human view of `sockpeer watch`: one line per event, local time with milliseconds, the event,
/// then the ends as `list` shows them (`command[pid]:fd #inode`) and the name. One per thread.
/// </summary>
/// <remarks>
/// An unfiltered watcher on a busy web host writes 20,000 lines a second, and the garbage collector was
/// half of its CPU: a line is built in one reused builder and encoded from it straight into the output,
/// with no string per line, per time, per command or per name.
/// </remarks>
internal sealed class WatchRenderer(Terminal terminal, TimeZoneInfo zone)
{
    public WatchRenderer(Terminal terminal)
        : this(terminal, TimeZoneInfo.Local)
    {
    }

    private const int EventWidth = 9;
    // Holders gained or lost shown on a line, as list abbreviates many holders: a fork of a
    // pre-forked server gains hundreds at once.
    private const int HoldersShown = 4;
    private readonly StringBuilder _line = new(256);
    private readonly Encoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetEncoder();
    private readonly SocketNameText _names = new();
    // The zone's offset, looked up again each minute (offsets change on minute boundaries).
    private long _offsetMinute = long.MinValue;
    private TimeSpan _offset;

    public string Line(SocketEvent e) => Build(e).ToString();

    /// <summary>The line and a newline, encoded into <paramref name="output"/>.</summary>
    public void WriteLine(SocketEvent e, IBufferWriter<byte> output)
    {
        foreach (var chunk in Build(e).GetChunks())
        {
            var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length));
            _utf8.Convert(chunk.Span, span, flush: false, out _, out int written, out _);
            output.Advance(written);
        }
        var end = output.GetSpan(8);
        _utf8.Convert("\n", end, flush: true, out _, out int last, out _);
        output.Advance(last);
    }

    private StringBuilder Build(SocketEvent e)
    {
        var line = _line.Clear();
        AppendTime(line, e.Time);
        line.Append(' ');
        string kind = e.Kind.ToText();
        terminal.Paint(line, kind, Color(e));
        line.Append(' ', Math.Max(1, EventWidth - kind.Length));
        if (e.Kind == SocketEventKind.Warning)
        {
            return line.Append(e.Message);
        }
        if (e.Socket is not { } s)
        {
            return line;
        }
        AppendEnd(line, e, s);
        if (e.Peer is { } peer)
        {
            line.Append(e.Kind == SocketEventKind.Close ? " -x- " : " <-> ");
            AppendEnd(line, e, peer);
        }
        else if (e.Listener is { } l)
        {
            line.Append(" --> #");
            if (l.Inode == 0)
            {
                line.Append('?');
            }
            else
            {
                line.Append(l.Inode);
            }
            line.Append(e.Kind == SocketEventKind.Close ? " (was waiting)" : " (not accepted yet)");
        }
        var named = e.Peer?.NameBytes is not null ? e.Peer : s.NameBytes is not null ? s : e.Listener;
        if (_names.Of(named?.NameBytes) is { } name)
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
            line.Append("  ");
            terminal.Paint(line, b.Full ? "full" : "drained", b.Full ? Terminal.Red : null);
            line.Append(' ').Append(b.Pending).Append('/').Append(b.Limit);
        }
        if (e.Kind == SocketEventKind.Holders)
        {
            AppendHolders(line, e, e.HoldersGained, '+', "gained");
            AppendHolders(line, e, e.HoldersLost, '-', "lost");
        }
        if (e.ObservedFor is { } observed)
        {
            terminal.StartPaint(line, Terminal.Dim);
            line.Append("  after ");
            if (observed.TotalSeconds < 60)
            {
                line.Append(CultureInfo.InvariantCulture, $"{observed.TotalSeconds:0.000}").Append('s');
            }
            else
            {
                line.Append(observed.ToString(observed.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture));
            }
            terminal.EndPaint(line, Terminal.Dim);
        }
        return line;
    }

    /// <summary>HH:mm:ss.fff in the zone, dimmed on a terminal: as ToString would, without a string.</summary>
    private void AppendTime(StringBuilder line, DateTimeOffset time)
    {
        long minute = time.UtcTicks / TimeSpan.TicksPerMinute;
        if (minute != _offsetMinute)
        {
            _offset = zone.GetUtcOffset(time.UtcDateTime);
            _offsetMinute = minute;
        }
        var local = time.UtcDateTime + _offset;
        terminal.StartPaint(line, Terminal.Dim);
        Digits(line, local.Hour, 2).Append(':');
        Digits(line, local.Minute, 2).Append(':');
        Digits(line, local.Second, 2).Append('.');
        Digits(line, local.Millisecond, 3);
        terminal.EndPaint(line, Terminal.Dim);
    }

    private static StringBuilder Digits(StringBuilder line, int value, int width)
    {
        for (int unit = width == 3 ? 100 : 10; unit > 0; unit /= 10)
        {
            line.Append((char)('0' + value / unit % 10));
        }
        return line;
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
        var processes = e.Processes;
        for (int i = 0; i < processes.Count; i++) // indexed: an interface's enumerator is an allocation per holder
        {
            if (processes[i].Pid == h.Pid)
            {
                p = processes[i];
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
