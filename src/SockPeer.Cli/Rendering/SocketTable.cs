// Why this file is long: fitting the columns to a width and cutting each cell to its share are one
// algorithm (a cell is cut by the rule of its column: the middle of a name, the command before the
// pid of an end); split, each half would need the other's widths. The column names are in Columns.cs.
using System.Globalization;
using System.Text;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Views;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// The socket table: columns sized to their content and, on a terminal (or with COLUMNS), to its
/// width: long cells lose their middle to an ellipsis, so a row never wraps. It only formats: the
/// rows, their classification and their ends come from <see cref="SocketViews"/>.
/// </summary>
internal sealed class SocketTable(TextWriter output, Terminal terminal, SocketInventory inventory, TableOptions options)
{
    private const char Ellipsis = '\u2026';
    private readonly EndText _ends = new(inventory, options.Selected, options.Wide);
    private readonly StringBuilder _cell = new(128);
    private readonly StringBuilder _line = new(256);

    public EndText Ends => _ends;

    public void Write(IReadOnlyList<SocketView> rows)
    {
        if (options.Sort.Count > 0)
        {
            rows = Sorted(rows);
        }
        List<Column> columns = options.Columns is { } chosen ? [.. chosen] : DefaultColumns(rows);
        int[] widths = new int[columns.Count];
        for (int i = 0; i < columns.Count; i++)
        {
            widths[i] = options.Header ? Columns.Header(columns[i]).Length : 0;
        }
        foreach (var row in rows)
        {
            for (int i = 0; i < columns.Count; i++)
            {
                widths[i] = Math.Max(widths[i], AppendCell(_cell.Clear(), row, columns[i]).Length);
            }
        }
        if (options.Width is int width && !options.Wide && widths.Sum() + columns.Count - 1 > width)
        {
            // Least useful first: the holders' command names (down to a few letters), then the default
            // view's optional columns (NETNS, then the queues), then the rest of the command names,
            // and only then the name below a readable length. Pids, fds and inodes are never cut (an
            // end's floor is what keeps them whole); columns asked for with -o stay, and lines are
            // cut at the width when even the floors do not fit.
            int end = EssentialWidth(rows, Column.End), other = EssentialWidth(rows, Column.Other);
            (Column, int)[] commands = [(Column.Name, ReadableName), (Column.End, end + CommandLetters), (Column.Other, other + CommandLetters), (Column.Container, 8), (Column.User, 6), (Column.File, 4)];
            (Column, int)[] pidsOnly = [(Column.Name, ReadableName), (Column.End, end), (Column.Other, other), (Column.Container, 4), (Column.User, 4), (Column.File, 2)];
            (Column, int)[] floor = [(Column.Name, 8), (Column.End, end), (Column.Other, other), (Column.Container, 4), (Column.User, 4), (Column.File, 2)];
            while (!Fit(columns, widths, width, commands) && options.Columns is null && DropOptional(columns, ref widths))
            {
            }
            if (!Fit(columns, widths, width, pidsOnly))
            {
                Fit(columns, widths, width, floor);
            }
        }
        int? limit = options.Wide ? null : options.Width;
        if (options.Header)
        {
            WriteLine(columns, widths, limit, null);
        }
        foreach (var row in rows)
        {
            WriteLine(columns, widths, limit, row);
        }
    }

    /// <summary>TYPE STATE [RECVQ SENDQ] END OTHER [NETNS] NAME: queues when any is in use, NETNS when several namespaces are shown.</summary>
    private static List<Column> DefaultColumns(IReadOnlyList<SocketView> rows)
    {
        bool queues = false;
        ulong? firstNs = null;
        bool severalNs = false;
        foreach (var row in rows)
        {
            foreach (var s in row.Sockets)
            {
                queues |= s.Role == SocketRole.Listener ? s.PendingCount > 0 : s.RecvQueue > 0 || s.SendQueue > 0;
                if (s.NetNs is ulong ns)
                {
                    firstNs ??= ns;
                    severalNs |= ns != firstNs;
                }
            }
        }
        var list = new List<Column> { Column.Type, Column.State };
        if (queues)
        {
            list.Add(Column.RecvQ);
            list.Add(Column.SendQ);
        }
        list.AddRange([Column.End, Column.Arrow, Column.Other]);
        if (severalNs)
        {
            list.Add(Column.NetNs);
        }
        list.Add(Column.Name);
        return list;
    }

    // A name cut below this loses what tells two sockets apart; a command keeps this many letters
    // (with its ellipsis) while the name is cut no further.
    private const int ReadableName = 24;
    private const int CommandLetters = 3;

    /// <summary>
    /// The narrowest an END or OTHER column can be with every cell's first pid, its fd and the inode
    /// whole: <see cref="ShortenEnd"/>'s cut at that width still holds them. A cell without a holder
    /// ("backlog 0/128", "(peer closed)") is kept whole.
    /// </summary>
    private int EssentialWidth(IReadOnlyList<SocketView> rows, Column column)
    {
        int widest = options.Header ? Columns.Header(column).Length : 0;
        foreach (var row in rows)
        {
            string text = Cell(row, column);
            if (text.Length > widest)
            {
                widest = Math.Max(widest, EssentialWidth(text));
            }
        }
        return widest;
    }

    /// <summary>The narrowest width at which <see cref="ShortenEnd"/> keeps the first holder's pid and fd and the inode of <paramref name="text"/>.</summary>
    public static int EssentialWidth(string text)
    {
        int hash = text.LastIndexOf(" #", StringComparison.Ordinal);
        if (text.Length > 0 && text[0] == '(' && hash > 0 && text[hash - 1] == ')')
        {
            return text.Length - hash + 3; // "(…) #1168": only the inode counts
        }
        int open = text.IndexOf('[', StringComparison.Ordinal);
        int close = open < 0 ? -1 : text.IndexOf(']', open);
        if (text.Length == 0 || text[0] == '(' || close < open + 2 || text.AsSpan(open + 1, close - open - 1).ContainsAnyExceptInRange('0', '9'))
        {
            return text.Length;
        }
        string pid = text[open..(close + 1)];
        int colon = text.IndexOf(':', close);
        int fdEnd = colon;
        while (fdEnd >= 0 && fdEnd + 1 < text.Length && char.IsAsciiDigit(text[fdEnd + 1]))
        {
            fdEnd++;
        }
        string fd = colon >= 0 && fdEnd > colon ? text[colon..(fdEnd + 1)] : "";
        string inode = hash > close ? text[hash..] : "";
        int width = text.Length;
        while (width > 1 && Keeps(ShortenEnd(text, width - 1), pid, fd, inode))
        {
            width--;
        }
        return width;
    }

    private static bool Keeps(string cut, string pid, string fd, string inode)
    {
        int at = cut.IndexOf(pid, StringComparison.Ordinal);
        if (at < 0 || !cut.EndsWith(inode, StringComparison.Ordinal))
        {
            return false;
        }
        if (fd.Length == 0)
        {
            return true;
        }
        int f = cut.IndexOf(fd, at, StringComparison.Ordinal);
        int after = f + fd.Length;
        return f >= 0 && (after == cut.Length || !char.IsAsciiDigit(cut[after]));
    }

    private static bool DropOptional(List<Column> columns, ref int[] widths)
    {
        foreach (var optional in new[] { Column.NetNs, Column.SendQ, Column.RecvQ })
        {
            int i = columns.IndexOf(optional);
            if (i >= 0)
            {
                columns.RemoveAt(i);
                widths = [.. widths[..i], .. widths[(i + 1)..]];
                return true;
            }
        }
        return false;
    }

    /// <summary>Narrows the widest free-text column, one character at a time, until the row fits; false when it cannot.</summary>
    private static bool Fit(List<Column> columns, int[] widths, int width, (Column Column, int Min)[] mins)
    {
        int total = widths.Sum() + columns.Count - 1;
        while (total > width)
        {
            int best = -1;
            int bestSlack = 0;
            foreach (var (column, min) in mins)
            {
                int i = columns.IndexOf(column);
                if (i >= 0 && widths[i] - min > bestSlack)
                {
                    best = i;
                    bestSlack = widths[i] - min;
                }
            }
            if (best < 0)
            {
                return false;
            }
            widths[best]--;
            total--;
        }
        return true;
    }

    private void WriteLine(List<Column> columns, int[] widths, int? limit, SocketView? row)
    {
        var line = _line.Clear();
        int visible = 0;
        for (int i = 0; i < columns.Count; i++)
        {
            if (i > 0)
            {
                line.Append(' ');
                visible++;
            }
            bool last = i == columns.Count - 1;
            int w = widths[i];
            if (limit is int max && visible + w > max)
            {
                w = Math.Max(0, max - visible);
                last = true;
            }
            string? color = row is null ? null : Color(row, columns[i]);
            int length;
            if (row is not null && limit is null && options.Width is null)
            {
                // Nothing is cut: the cell goes from its builder into the line, with no string made (population A, 20,000 rows: 7 MiB less garbage).
                var cell = AppendCell(_cell.Clear(), row, columns[i]);
                terminal.Paint(line, cell, cell.Length > 0 ? color : null);
                length = cell.Length;
            }
            else
            {
                string text = row is null ? Columns.Header(columns[i]) : Cell(row, columns[i]);
                if (limit is not null || options.Width is not null)
                {
                    text = columns[i] switch
                    {
                        Column.End or Column.Other => ShortenEnd(text, w),
                        Column.Name => ShortenName(text, w),
                        _ => Shorten(text, w),
                    };
                }
                terminal.Paint(line, text, text.Length > 0 ? color : null);
                length = text.Length;
            }
            visible += length;
            if (last)
            {
                break;
            }
            line.Append(' ', w - length);
            visible += w - length;
        }
        // No trailing blanks: the last cells may be empty.
        int end = line.Length;
        while (end > 0 && line[end - 1] == ' ')
        {
            end--;
        }
        line.Length = end;
        if (row is null)
        {
            output.WriteLine(terminal.Paint(line.ToString(), Terminal.Bold));
        }
        else
        {
            output.WriteLine(line);
        }
    }

    /// <summary>Cuts the middle out of text longer than <paramref name="width"/>: both ends of a path or a holder list say the most.</summary>
    public static string Shorten(string text, int width)
    {
        if (text.Length <= width)
        {
            return text;
        }
        if (width <= 1)
        {
            return width == 1 ? Ellipsis.ToString() : "";
        }
        int left = (width - 1 + 1) / 2;
        int right = width - 1 - left;
        return string.Concat(text.AsSpan(0, left), Ellipsis.ToString(), text.AsSpan(text.Length - right));
    }

    /// <summary>A name keeps more of its end than its start: the file name says the most.</summary>
    public static string ShortenName(string text, int width)
    {
        if (text.Length <= width || width <= 1)
        {
            return Shorten(text, width);
        }
        int right = (width - 1) * 2 / 3;
        int left = width - 1 - right;
        return string.Concat(text.AsSpan(0, left), Ellipsis.ToString(), text.AsSpan(text.Length - right));
    }

    /// <summary>
    /// An end loses letters of its command name first (`ngi…[7760]:4 #123`): the pid, fd and inode
    /// are what an operator copies from the row.
    /// </summary>
    public static string ShortenEnd(string text, int width)
    {
        if (text.Length <= width)
        {
            return text;
        }
        if (CutCommand(text, width) is { } cut)
        {
            return cut;
        }
        // Keep the first holder and the inode; the "+N in M procs" or further holders go.
        int firstEnd = text.IndexOfAny([' ', ',']);
        int inode = text.LastIndexOf(" #", StringComparison.Ordinal);
        // No holder ("(holder not visible) #1168"): the words give way, the inode stays.
        if (text[0] == '(' && inode > 0 && text[inode - 1] == ')' && width - (text.Length - inode) >= 3)
        {
            int room = width - (text.Length - inode);
            return string.Concat(text.AsSpan(0, room - 2), Ellipsis.ToString(), ")", text.AsSpan(inode));
        }
        if (firstEnd > 0 && inode > firstEnd && text[0] != '(')
        {
            string tail = text[inode..];
            string head = text[..firstEnd];
            int room = width - 1 - tail.Length;
            if (head.Length <= room)
            {
                return string.Concat(head, Ellipsis.ToString(), tail);
            }
            if (room > 0 && CutCommand(head, room) is { } shortHead)
            {
                return string.Concat(shortHead, Ellipsis.ToString(), tail);
            }
            // Last: the command goes whole, `…[7767]:6… #1001`; the pid, fd and inode stay.
            int bracket = head.IndexOf('[', StringComparison.Ordinal);
            if (bracket > 0 && head.Length - bracket + 1 <= room)
            {
                return string.Concat(Ellipsis.ToString(), head.AsSpan(bracket), Ellipsis.ToString(), tail);
            }
        }
        return Shorten(text, width);
    }

    private static string? CutCommand(string text, int width)
    {
        // A container name goes before the command: `logger[8003]{docker:we…}:5`, then `logger[8003]{…}:5`.
        int open = text.IndexOf("]{", StringComparison.Ordinal);
        int close = open < 0 ? -1 : text.IndexOf("}:", open, StringComparison.Ordinal);
        if (open > 0 && close > open + 3)
        {
            int inner = close - open - 2;
            int over = text.Length - width;
            if (inner - 1 >= over)
            {
                return string.Concat(text.AsSpan(0, close - over - 1), Ellipsis.ToString(), text.AsSpan(close));
            }
            text = string.Concat(text.AsSpan(0, open + 2), Ellipsis.ToString(), text.AsSpan(close));
        }
        int excess = text.Length - width;
        if (excess <= 0)
        {
            return text;
        }
        int bracket = text.IndexOf('[', StringComparison.Ordinal);
        return bracket > 0 && text[0] != '(' && excess + 1 < bracket
            ? string.Concat(text.AsSpan(0, bracket - excess - 1), Ellipsis.ToString(), text.AsSpan(bracket))
            : null;
    }

    private static string? Color(SocketView row, Column column) => column switch
    {
        Column.Type => Terminal.Dim,
        Column.State => row.Kind switch
        {
            SocketKind.Listener => Terminal.Green,
            SocketKind.Pending => Terminal.Yellow,
            SocketKind.Pair => Terminal.Magenta,
            SocketKind.Closed => Terminal.Red,
            SocketKind.InFlight => Terminal.Cyan,
            SocketKind.Bound or SocketKind.Unconnected => Terminal.Dim,
            _ => null,
        },
        Column.Other or Column.Backlog when row.Kind == SocketKind.Listener && Fill(row.End) is { Full: true } => Terminal.Red,
        Column.Name or Column.File when NameSource(row)?.File is { Status: SocketFileStatus.Deleted or SocketFileStatus.Replaced } => Terminal.Red,
        _ => null,
    };

    private static ListenerFill? Fill(UnixSocket s) => s.PendingCount is uint p ? new ListenerFill(s, p, s.Backlog ?? 0) : null;

    /// <summary>Whose name a row shows: a pending client's listener, a connection's server end.</summary>
    private static UnixSocket? NameSource(SocketView row) => row.Kind switch
    {
        SocketKind.Pair => null,
        SocketKind.InFlight when row.End.IsSocketPair => null,
        SocketKind.Pending => row.Other ?? row.End,
        SocketKind.Connection when row.Other is { } other && row.Relation == EndRelation.OneWay => other,
        SocketKind.Connection when row.Other is { } server => server.NameBytes is not null ? server : row.End,
        _ => row.End,
    };

    // `<->` for ends that name each other, `-->` for a datagram client of a server, or three spaces.
    private static string Arrow(EndRelation relation) => relation switch
    {
        EndRelation.Mutual => "<->",
        EndRelation.OneWay => "-->",
        _ => "   ",
    };

    /// <summary>The cell's text, as a string (the fitting to a width cuts strings).</summary>
    public string Cell(SocketView row, Column column) => AppendCell(_cell.Clear(), row, column).ToString();

    /// <summary>Appends the cell's text to <paramref name="sb"/>, and returns it.</summary>
    private StringBuilder AppendCell(StringBuilder sb, SocketView row, Column column)
    {
        var s = row.End;
        switch (column)
        {
            case Column.Type:
                return sb.Append(s.Type.ToText());
            case Column.State:
                return sb.Append(row.Kind.ToText());
            case Column.Arrow:
                return sb.Append(Arrow(row.Relation));
            case Column.End:
                _ends.Append(sb, s);
                return sb;
            case Column.Other:
                AppendOther(sb, row);
                return sb;
            case Column.Name:
                if (row.Kind == SocketKind.Pair || (row.Kind == SocketKind.InFlight && s.IsSocketPair))
                {
                    return sb.Append("(socketpair)");
                }
                if (NameSource(row) is { Name: { } name } source)
                {
                    // Bound through a symlinked directory: the name as it resolves now, via the one bound.
                    if (source.File?.ResolvedPath is { } resolved)
                    {
                        return sb.Append(resolved).Append(" (via ").Append(name).Append(')');
                    }
                    sb.Append(name);
                    if (source.File is { Status: SocketFileStatus.Deleted or SocketFileStatus.Replaced } f)
                    {
                        sb.Append(" (").Append(f.Status.ToText()).Append(')');
                    }
                }
                return sb;
            case Column.User:
                return sb.Append(_ends.User(s));
            case Column.RecvQ:
                return AppendQueue(sb, s.RecvQueue, row.Kind is SocketKind.Connection or SocketKind.Pair ? row.Other?.RecvQueue : null);
            case Column.SendQ:
                return AppendQueue(sb, s.SendQueue, row.Kind is SocketKind.Connection or SocketKind.Pair ? row.Other?.SendQueue : null);
            case Column.Backlog:
                return Fill(s) is { } fill ? sb.Append(BacklogText(fill)) : sb;
            case Column.NetNs:
                // The namespace's name where it has one (`ip netns`, a container's), its inode otherwise.
                return s.NetNsName is { } nsName ? sb.Append(SocketName.Escape(nsName)) : s.NetNs is ulong ns ? sb.Append(ns) : sb.Append('-');
            case Column.Container:
                return sb.Append(_ends.Container(s));
            case Column.File:
                return NameSource(row)?.File is { } file ? sb.Append(file.Status.ToText()) : sb.Append('-');
            case Column.Inode:
                return sb.Append(s.Inode);
            case Column.Pid:
                return s.Holders.Count > 0 ? sb.Append(s.Holders[0].Pid) : sb.Append('-');
            default:
                return sb;
        }
    }

    /// <summary>This end's queue, and the other end's after a '/' when that one is in use.</summary>
    private static StringBuilder AppendQueue(StringBuilder sb, uint mine, uint? other)
        => other is uint o and > 0 ? sb.Append(mine).Append('/').Append(o) : sb.Append(mine);

    public static string BacklogText(ListenerFill fill) => fill.Full ? $"{fill.Pending}/{fill.Backlog} FULL" : $"{fill.Pending}/{fill.Backlog}";

    private void AppendOther(StringBuilder sb, SocketView row)
    {
        var s = row.End;
        switch (row.Kind)
        {
            case SocketKind.InFlight:
                sb.Append(s.InFlightOn is uint q ? $"queued on #{q}" : "queued (socket unknown)");
                return;
            case SocketKind.Listener:
                sb.Append("backlog ");
                if (Fill(s) is { } fill)
                {
                    sb.Append(BacklogText(fill));
                }
                else
                {
                    sb.Append('?');
                }
                if (s.PendingPartial)
                {
                    sb.Append(" (list partial)");
                }
                return;
            case SocketKind.Pending when row.Other is { } listener:
                _ends.Append(sb, listener);
                return;
            case SocketKind.Pending:
                sb.Append(row.OtherInode is uint l ? $"#{l} (not accepted yet)" : "(listener unknown: not accepted yet)");
                return;
            case SocketKind.Closed:
                sb.Append("(peer closed)");
                return;
            case SocketKind.Bound:
                if (s.Clients.Count > 0)
                {
                    sb.Append(s.Clients.Count).Append(" client(s)");
                }
                return;
            case SocketKind.Unconnected:
                return;
            default:
                if (row.Other is { } other)
                {
                    _ends.Append(sb, other);
                }
                else if (row.OtherInode is uint gone)
                {
                    sb.Append('#').Append(gone).Append(" (not seen)");
                }
                return;
        }
    }

    private List<SocketView> Sorted(IReadOnlyList<SocketView> rows)
    {
        IOrderedEnumerable<SocketView>? ordered = null;
        foreach (var (column, descending) in options.Sort)
        {
            if (Numeric(column))
            {
                Func<SocketView, double> key = r => NumericKey(r, column);
                ordered = ordered is null
                    ? (descending ? rows.OrderByDescending(key) : rows.OrderBy(key))
                    : (descending ? ordered.ThenByDescending(key) : ordered.ThenBy(key));
            }
            else
            {
                Func<SocketView, string> key = r => Cell(r, column);
                ordered = ordered is null
                    ? (descending ? rows.OrderByDescending(key, StringComparer.Ordinal) : rows.OrderBy(key, StringComparer.Ordinal))
                    : (descending ? ordered.ThenByDescending(key, StringComparer.Ordinal) : ordered.ThenBy(key, StringComparer.Ordinal));
            }
        }
        return ordered is null ? [.. rows] : [.. ordered];
    }

    private static bool Numeric(Column c) => c is Column.RecvQ or Column.SendQ or Column.Backlog or Column.NetNs or Column.Inode or Column.Pid;

    private static double NumericKey(SocketView row, Column column)
    {
        var s = row.End;
        return column switch
        {
            Column.RecvQ => (double)s.RecvQueue + (row.Kind is SocketKind.Connection or SocketKind.Pair ? row.Other?.RecvQueue ?? 0 : 0),
            Column.SendQ => (double)s.SendQueue + (row.Kind is SocketKind.Connection or SocketKind.Pair ? row.Other?.SendQueue ?? 0 : 0),
            Column.Backlog => Fill(s) is { } f ? (f.Backlog == 0 ? f.Pending : (double)f.Pending / f.Backlog) : -1,
            Column.NetNs => s.NetNs ?? 0,
            Column.Inode => s.Inode,
            Column.Pid => s.Holders.Count > 0 ? s.Holders[0].Pid : -1,
            _ => 0,
        };
    }
}
