using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// The human view: one line per connection with both ends, one per listener, bound or unconnected
/// socket. Every name passes through <see cref="SocketName"/>, so no byte of a name can break a line.
/// </summary>
internal sealed class HumanRenderer(TextWriter output, Terminal terminal, SocketInventory inventory)
{
    private const int TypeWidth = 10;
    private const int StateWidth = 10;
    private const int EndWidth = 34;

    public void WriteListHeader()
    {
        output.WriteLine(terminal.Paint(
            Pad("TYPE", TypeWidth) + Pad("STATE", StateWidth) + Pad("END", EndWidth) + "    " + Pad("OTHER END", EndWidth) + "NAME",
            Terminal.Bold));
    }

    /// <summary>Writes the list; sockets already shown as the other end of a connection are not repeated.</summary>
    public int WriteList(IReadOnlyList<UnixSocket> sockets, SocketFilter filter)
    {
        var shown = new HashSet<uint>();
        int lines = 0;
        foreach (var s in sockets)
        {
            if (shown.Contains(s.Inode) || !filter.Matches(inventory, s))
            {
                continue;
            }
            WriteSocketLine(s, shown);
            lines++;
        }
        return lines;
    }

    // One reusable line buffer and one cached "command[pid]" per process: the list of a busy host
    // has tens of thousands of lines, and per-line strings would dominate peak memory.
    private readonly System.Text.StringBuilder _line = new(256);
    private readonly Dictionary<int, string> _processText = [];

    private void WriteSocketLine(UnixSocket s, HashSet<uint> shown)
    {
        shown.Add(s.Inode);
        UnixSocket? peer = s.Peer is uint p and not 0 ? inventory.Find(p) : null;
        var line = _line.Clear();
        Field(line, s.Type.ToText(), TypeWidth, Terminal.Dim);

        if (s.InFlight)
        {
            Field(line, "in-flight", StateWidth, Terminal.Cyan);
            EndField(line, s);
            line.Append(peer is not null ? " <-> " : "     ");
            int at = line.Length;
            line.Append(s.InFlightOn is uint q ? $"queued on #{q}" : "queued (socket unknown)");
            PadTo(line, at, EndWidth);
            AppendName(line, s.IsSocketPair ? null : s, s.IsSocketPair ? "(socketpair)" : null);
        }
        else if (s.State == UnixSocketState.Listening)
        {
            Field(line, "listen", StateWidth, Terminal.Green);
            EndField(line, s);
            line.Append("     ");
            int at = line.Length;
            line.Append("backlog ");
            if (s.PendingCount is uint pc)
            {
                line.Append(pc).Append('/').Append(s.Backlog);
            }
            else
            {
                line.Append('?');
            }
            if (s.PendingPartial)
            {
                line.Append(" (list partial)");
            }
            PadTo(line, at, EndWidth);
            AppendName(line, s, null);
        }
        else if (s.PendingOn is uint lis)
        {
            Field(line, "pending", StateWidth, Terminal.Yellow);
            EndField(line, s);
            line.Append(" --> ");
            int at = line.Length;
            line.Append('#').Append(lis).Append(" (not accepted yet)");
            PadTo(line, at, EndWidth);
            AppendName(line, inventory.Find(lis), null);
        }
        else if (s.AwaitingAccept)
        {
            Field(line, "pending", StateWidth, Terminal.Yellow);
            EndField(line, s);
            line.Append(" --> ");
            line.Append("(listener unknown: not accepted yet)");
        }
        else if (peer is not null && peer.Peer == s.Inode)
        {
            shown.Add(peer.Inode);
            // The client goes on the left: an accepted socket is the server end.
            var (client, server) = s.Listener is not null ? (peer, s) : (s, peer);
            if (s.IsSocketPair)
            {
                Field(line, "pair", StateWidth, Terminal.Magenta);
            }
            else
            {
                Field(line, "conn", StateWidth, null);
            }
            EndField(line, client);
            line.Append(" <-> ");
            EndField(line, server);
            AppendName(line, s.IsSocketPair ? null : server.NameBytes is not null ? server : client, s.IsSocketPair ? "(socketpair)" : null);
        }
        else if (peer is not null)
        {
            Field(line, "conn", StateWidth, null);
            EndField(line, s);
            line.Append(" --> ");
            EndField(line, peer);
            AppendName(line, peer, null);
        }
        else if (s.Peer is uint gone)
        {
            bool closed = gone == 0;
            Field(line, closed ? "closed" : "conn", StateWidth, closed ? Terminal.Red : null);
            EndField(line, s);
            line.Append(" --> ");
            int at = line.Length;
            line.Append(closed ? "(peer closed)" : $"#{gone} (not seen)");
            PadTo(line, at, EndWidth);
            AppendName(line, s, null);
        }
        else
        {
            Field(line, s.State == UnixSocketState.Connected ? "bound" : "unconn", StateWidth, Terminal.Dim);
            EndField(line, s);
            line.Append("     ");
            int at = line.Length;
            if (s.Clients.Count > 0)
            {
                line.Append(s.Clients.Count).Append(" client(s)");
            }
            PadTo(line, at, EndWidth);
            AppendName(line, s, null);
        }
        output.WriteLine(line);
    }

    private void Field(System.Text.StringBuilder line, string text, int width, string? color)
    {
        if (color is not null && terminal.Color)
        {
            line.Append("\u001b[").Append(color).Append('m').Append(text).Append("\u001b[0m");
        }
        else
        {
            line.Append(text);
        }
        line.Append(' ', Math.Max(1, width - text.Length));
    }

    private static void PadTo(System.Text.StringBuilder line, int start, int width)
        => line.Append(' ', Math.Max(1, width - (line.Length - start)));

    private void EndField(System.Text.StringBuilder line, UnixSocket s)
    {
        int at = line.Length;
        AppendEnd(line, s);
        PadTo(line, at, EndWidth);
    }

    private void AppendName(System.Text.StringBuilder line, UnixSocket? s, string? literal)
    {
        if (literal is not null)
        {
            line.Append(literal);
            return;
        }
        if (s?.Name is not { } name)
        {
            return;
        }
        line.Append(name);
        if (s.File is { Status: not SocketFileStatus.Ok and not SocketFileStatus.Unknown } f)
        {
            line.Append(' ').Append(terminal.Paint($"({f.Status.ToText()})", Terminal.Red));
        }
    }

    private static string Pad(string text, int width) => text.Length >= width ? text + " " : text.PadRight(width);

    /// <summary>`cmd[pid]:fd #inode`, with the count of further holders.</summary>
    public string End(UnixSocket s)
    {
        var sb = new System.Text.StringBuilder(64);
        AppendEnd(sb, s);
        return sb.ToString();
    }

    private void AppendEnd(System.Text.StringBuilder sb, UnixSocket s)
    {
        if (s.Holders.Count == 0)
        {
            sb.Append(s.InFlight ? "(in flight)" : inventory.ProcessesNotInspected > 0 ? "(holder not visible)" : "(no holder)");
            sb.Append(" #").Append(s.Inode);
            return;
        }
        AppendHolder(sb, s.Holders[0]);
        if (s.Holders.Count == 2)
        {
            sb.Append(',');
            AppendHolder(sb, s.Holders[1]);
        }
        else if (s.Holders.Count > 2)
        {
            int pids = 1;
            for (int i = 1; i < s.Holders.Count; i++)
            {
                if (s.Holders[i].Pid != s.Holders[i - 1].Pid)
                {
                    pids++;
                }
            }
            sb.Append(" +").Append(s.Holders.Count - 1);
            if (pids > 1)
            {
                sb.Append(" in ").Append(pids).Append(" procs");
            }
        }
        sb.Append(" #").Append(s.Inode);
    }

    private void AppendHolder(System.Text.StringBuilder sb, SocketHolder h)
    {
        if (!_processText.TryGetValue(h.Pid, out string? text))
        {
            var p = inventory.FindProcess(h.Pid);
            string command = p is null ? "?" : SocketName.Escape(p.Command);
            string container = p?.Container is { Runtime: not "systemd" } c ? $"{{{c.Runtime}:{SocketName.Escape(c.Name ?? c.Id ?? "?")}}}" : "";
            _processText[h.Pid] = text = $"{command}[{h.Pid}]{container}";
        }
        sb.Append(text).Append(':').Append(h.Fd);
    }

    private string Holder(SocketHolder h)
    {
        var sb = new System.Text.StringBuilder(48);
        AppendHolder(sb, h);
        return sb.ToString();
    }

    public void WritePeer(PeerReport report)
    {
        WriteDetail("socket", report.Socket);
        if (report.Peer is { } peer)
        {
            WriteDetail("peer", peer);
        }
        else
        {
            string why = report.Socket switch
            {
                { PendingOn: uint l } => $"none yet: waiting in the accept queue of #{l}",
                { AwaitingAccept: true } => "none yet: waiting to be accepted (the listener could not list it)",
                { Peer: 0 } => "closed: the other end is gone",
                { Peer: uint p } => $"#{p} (not seen in this snapshot)",
                { State: UnixSocketState.Listening } => "none: a listener; see its pending and accepted connections with 'sockpeer who'",
                { Clients.Count: > 0 } s => $"none; {s.Clients.Count} client(s) send to it: " + string.Join(", ", s.Clients.Select(c => "#" + c)),
                { InFlight: true } => "none: the socket is in flight",
                _ => "none: not connected",
            };
            output.WriteLine($"{terminal.Paint(Pad("peer", 10), Terminal.Bold)}{why}");
        }
        if (report.Listener is { } listener)
        {
            WriteDetail("listener", listener);
        }
    }

    private void WriteDetail(string label, UnixSocket s)
    {
        output.Write(terminal.Paint(Pad(label, 10), Terminal.Bold));
        output.Write($"#{s.Inode} {s.Type.ToText()} {s.State.ToText()}");
        if (s.IsSocketPair)
        {
            output.Write(" (socketpair)");
        }
        if (s.Shutdown != ShutdownState.None)
        {
            output.Write($" shutdown:{s.Shutdown.ToText()}");
        }
        if (s.State == UnixSocketState.Listening)
        {
            output.Write($" backlog {s.PendingCount}/{s.Backlog}");
        }
        if (s.Name is { } name)
        {
            output.Write(" " + name);
            if (s.File is { } f)
            {
                output.Write($" (file {f.Status.ToText()}, dev {f.Device} inode {f.Inode})");
            }
        }
        if (s.InFlight)
        {
            output.Write(s.InFlightOn is uint q ? $" in flight on #{q}" : " in flight");
        }
        if (s.NetNs is ulong ns)
        {
            output.Write(terminal.Paint($" netns {ns}", Terminal.Dim));
        }
        output.WriteLine();
        if (s.Holders.Count == 0)
        {
            output.WriteLine("          held by no process");
        }
        int shown = 0;
        foreach (var h in s.Holders)
        {
            if (shown++ == 20)
            {
                output.WriteLine($"          ... and {s.Holders.Count - 20} more holders");
                break;
            }
            var p = inventory.FindProcess(h.Pid);
            string cmdline = p is null ? "" : SocketName.Escape(string.Join(' ', p.CommandLine));
            string user = p?.User ?? p?.Uid.ToString() ?? "?";
            string container = p?.Container is { } c ? $"  {c.Runtime} {SocketName.Escape(c.Name ?? "")}{(c.Id is null ? "" : " " + c.Id)}" : "";
            output.WriteLine($"          {Holder(h)}  user {SocketName.Escape(user)}{container}  {cmdline}");
        }
    }

    public void WriteWho(WhoReport report)
    {
        string path = SocketName.Escape(report.Path);
        if (report.Listeners.Count == 0)
        {
            output.WriteLine($"{path}: no socket is bound to this file now");
        }
        foreach (var l in report.Listeners)
        {
            WriteDetail(l.State == UnixSocketState.Listening ? "listener" : "bound", l);
        }
        foreach (var s in report.Stale)
        {
            WriteDetail("older", s);
        }
        output.WriteLine(terminal.Paint($"connections: {report.Connections.Count}", Terminal.Bold));
        foreach (var c in report.Connections)
        {
            var line = _line.Clear().Append("  ");
            EndField(line, c.Server);
            line.Append("<-> ");
            if (c.Client is null)
            {
                line.Append("(client closed)");
            }
            else
            {
                AppendEnd(line, c.Client);
            }
            output.WriteLine(line);
        }
        if (report.Pending.Count > 0 || report.Listeners.Any(l => l.PendingCount > 0))
        {
            output.WriteLine(terminal.Paint($"pending: {report.Listeners.Sum(l => (long)(l.PendingCount ?? 0))}", Terminal.Bold));
            foreach (var s in report.Pending)
            {
                output.WriteLine($"  {End(s)} (not accepted yet)");
            }
        }
    }
}
