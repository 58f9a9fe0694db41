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

    private void WriteSocketLine(UnixSocket s, HashSet<uint> shown)
    {
        shown.Add(s.Inode);
        string type = s.Type.ToText();
        UnixSocket? peer = s.Peer is uint p and not 0 ? inventory.Find(p) : null;
        string state, stateColor = "", left, arrow, right, name;

        if (s.State == UnixSocketState.Listening)
        {
            state = "listen";
            stateColor = Terminal.Green;
            left = End(s);
            arrow = "   ";
            string pending = s.PendingCount is uint pc ? $"backlog {pc}/{s.Backlog}" : "backlog ?";
            if (s.PendingPartial)
            {
                pending += " (list partial)";
            }
            right = pending;
            name = NameOf(s);
        }
        else if (s.PendingOn is uint lis)
        {
            state = "pending";
            stateColor = Terminal.Yellow;
            left = End(s);
            arrow = "-->";
            right = $"#{lis} (not accepted yet)";
            name = NameOf(inventory.Find(lis)) ;
        }
        else if (s.AwaitingAccept)
        {
            state = "pending";
            stateColor = Terminal.Yellow;
            left = End(s);
            arrow = "-->";
            right = "(listener unknown: not accepted yet)";
            name = "";
        }
        else if (peer is not null && peer.Peer == s.Inode)
        {
            shown.Add(peer.Inode);
            // The client goes on the left: an accepted socket is the server end.
            var (client, server) = s.Listener is not null ? (peer, s) : (s, peer);
            state = s.IsSocketPair ? "pair" : "conn";
            stateColor = s.IsSocketPair ? Terminal.Magenta : "";
            left = End(client);
            arrow = "<->";
            right = End(server);
            name = s.IsSocketPair ? "(socketpair)" : NameOf(server.NameBytes is not null ? server : client);
        }
        else if (peer is not null)
        {
            state = "conn";
            left = End(s);
            arrow = "-->";
            right = End(peer);
            name = NameOf(peer);
        }
        else if (s.Peer == 0)
        {
            state = "closed";
            stateColor = Terminal.Red;
            left = End(s);
            arrow = "-->";
            right = "(peer closed)";
            name = NameOf(s);
        }
        else if (s.Peer is uint gone)
        {
            state = "conn";
            left = End(s);
            arrow = "-->";
            right = $"#{gone} (not seen)";
            name = NameOf(s);
        }
        else
        {
            state = s.State == UnixSocketState.Connected ? "bound" : "unconn";
            stateColor = Terminal.Dim;
            left = End(s);
            arrow = "   ";
            right = s.Clients.Count > 0 ? $"{s.Clients.Count} client(s)" : "";
            name = NameOf(s);
        }
        if (s.InFlight)
        {
            state = "in-flight";
            stateColor = Terminal.Cyan;
            right = s.InFlightOn is uint q ? $"queued on #{q}" : "queued (socket unknown)";
        }
        output.Write(terminal.Paint(Pad(type, TypeWidth), Terminal.Dim));
        output.Write(stateColor.Length > 0 ? terminal.Paint(Pad(state, StateWidth), stateColor) : Pad(state, StateWidth));
        output.Write(Pad(left, EndWidth));
        output.Write(' ');
        output.Write(arrow);
        output.Write(' ');
        output.Write(Pad(right, EndWidth));
        output.WriteLine(name);
    }

    private static string Pad(string text, int width) => text.Length >= width ? text + " " : text.PadRight(width);

    private string NameOf(UnixSocket? s)
    {
        if (s?.Name is not { } name)
        {
            return "";
        }
        if (s.File is { Status: not SocketFileStatus.Ok and not SocketFileStatus.Unknown } f)
        {
            return name + " " + terminal.Paint($"({f.Status.ToText()})", Terminal.Red);
        }
        return name;
    }

    /// <summary>`cmd[pid]:fd #inode`, with the count of further holders.</summary>
    public string End(UnixSocket s)
    {
        if (s.Holders.Count == 0)
        {
            return s.InFlight ? $"(in flight) #{s.Inode}"
                : inventory.ProcessesNotInspected > 0 ? $"(holder not visible) #{s.Inode}"
                : $"(no holder) #{s.Inode}";
        }
        var first = s.Holders[0];
        string text = Holder(first);
        int pids = 1;
        for (int i = 1; i < s.Holders.Count; i++)
        {
            if (s.Holders[i].Pid != s.Holders[i - 1].Pid)
            {
                pids++;
            }
        }
        if (s.Holders.Count == 2)
        {
            text += "," + Holder(s.Holders[1]);
        }
        else if (s.Holders.Count > 2)
        {
            text += $" +{s.Holders.Count - 1}" + (pids > 1 ? $" in {pids} procs" : "");
        }
        return $"{text} #{s.Inode}";
    }

    private string Holder(SocketHolder h)
    {
        var p = inventory.FindProcess(h.Pid);
        string command = p is null ? "?" : SocketName.Escape(p.Command);
        string container = p?.Container is { Runtime: not "systemd" } c ? $"{{{c.Runtime}:{SocketName.Escape(c.Name ?? c.Id ?? "?")}}}" : "";
        return $"{command}[{h.Pid}]{container}:{h.Fd}";
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
            string client = c.Client is null ? "(client closed)" : End(c.Client);
            output.WriteLine($"  {Pad(End(c.Server), EndWidth)} <-> {client}");
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
