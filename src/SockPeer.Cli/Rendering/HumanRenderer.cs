using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;
using SockPeer.Views;

namespace SockPeer.Cli.Rendering;

/// <summary>
/// The human view: the socket table for lists, labelled details for peer and who, counts for the
/// summary. Every name passes through <see cref="SocketName"/>, so no byte of a name can break a line.
/// </summary>
internal sealed class HumanRenderer(TextWriter output, Terminal terminal, TableOptions table) : IRenderer
{
    private const int LabelWidth = 10;
    private const int MaxHolders = 20;

    public void WriteList(SocketInventory inventory, ListAnswer answer)
        => new SocketTable(output, terminal, inventory, table).Write(answer.Rows());

    public void WriteSummary(SocketInventory inventory, SocketSummary summary)
    {
        output.WriteLine($"Total: {summary.Total} sockets"
            + (summary.NetNamespaces > 1 ? $" in {summary.NetNamespaces} network namespaces" : "")
            + (summary.WithoutHolder > 0 ? $", {summary.WithoutHolder} with no visible holder" : ""));
        var kinds = Enum.GetValues<SocketKind>();
        var header = new System.Text.StringBuilder().Append(Pad("TYPE", 10)).Append(Right("TOTAL", 7));
        foreach (var k in kinds)
        {
            header.Append(Right(k.ToText(), Math.Max(k.ToText().Length, 5) + 2));
        }
        output.WriteLine(terminal.Paint(header.ToString(), Terminal.Bold));
        foreach (var (type, counts) in summary.ByTypeAndKind.OrderBy(p => p.Key))
        {
            var line = new System.Text.StringBuilder().Append(Pad(type.ToText(), 10)).Append(Right(counts.Values.Sum().ToString(System.Globalization.CultureInfo.InvariantCulture), 7));
            foreach (var k in kinds)
            {
                line.Append(Right(counts.GetValueOrDefault(k).ToString(System.Globalization.CultureInfo.InvariantCulture), Math.Max(k.ToText().Length, 5) + 2));
            }
            output.WriteLine(line);
        }
        output.WriteLine($"Queues in use: {summary.WithRecvQueue} receive, {summary.WithSendQueue} send");
        if (summary.FullestListeners.Count == 0)
        {
            output.WriteLine("Listeners: none has a connection waiting");
            return;
        }
        output.WriteLine(terminal.Paint("Fullest listeners (pending/backlog):", Terminal.Bold));
        var ends = new EndText(inventory, table.Selected, table.Wide);
        foreach (var f in summary.FullestListeners)
        {
            string fill = SocketTable.BacklogText(f);
            output.WriteLine($"  {(f.Full ? terminal.Paint(Pad(fill, 12), Terminal.Red) : Pad(fill, 12))}{ends.Of(f.Listener)}  {f.Listener.Name ?? ""}");
        }
    }

    public void WritePeer(SocketInventory inventory, PeerReport report)
    {
        var ends = new EndText(inventory, table.Selected, table.Wide);
        WriteDetail(inventory, ends, "socket", report.Socket, EndWord(report.Socket.Role));
        if (report.Peer is { } peer)
        {
            WriteDetail(inventory, ends, "peer", peer, EndWord(peer.Role));
        }
        else
        {
            var s = report.Socket;
            string why = s.Role switch
            {
                SocketRole.Pending when s.PendingOn is uint l => $"none yet: waiting in the accept queue of #{l}",
                SocketRole.Pending => "none yet: waiting to be accepted (the listener could not list it)",
                SocketRole.Closed => "closed: the other end is gone",
                _ when s.Peer is uint p and not 0 => $"#{p} (not seen in this snapshot)",
                SocketRole.Listener => "none: a listener; see its pending and accepted connections with 'sockpeer who'",
                SocketRole.DatagramServer when s.Clients.Count > 0 => $"none; {s.Clients.Count} client(s) send to it: " + string.Join(", ", s.Clients.Select(c => "#" + c)),
                SocketRole.InFlight => "none: the socket is in flight",
                _ => "none: not connected",
            };
            output.WriteLine($"{terminal.Paint(Pad("peer", LabelWidth), Terminal.Bold)}{why}");
        }
        if (report.Listener is { } listener)
        {
            WriteDetail(inventory, ends, "listener", listener, null);
        }
    }

    /// <summary>"client" or "server" for an end of a connection, as the engine decided its role.</summary>
    private static string? EndWord(SocketRole role) => role switch
    {
        SocketRole.Client or SocketRole.Pending or SocketRole.DatagramClient => "client",
        SocketRole.Server or SocketRole.DatagramServer => "server",
        _ => null,
    };

    private void WriteDetail(SocketInventory inventory, EndText ends, string label, UnixSocket s, string? role)
    {
        var line = new System.Text.StringBuilder();
        line.Append(terminal.Paint(Pad(label, LabelWidth), Terminal.Bold));
        line.Append('#').Append(s.Inode).Append(' ').Append(s.Type.ToText()).Append(' ').Append(s.State.ToText());
        if (role is not null)
        {
            line.Append(" (").Append(role).Append(')');
        }
        if (s.IsSocketPair)
        {
            line.Append(" (socketpair)");
        }
        if (s.Shutdown != ShutdownState.None)
        {
            line.Append(" shutdown:").Append(s.Shutdown.ToText());
        }
        if (s.Role == SocketRole.Listener)
        {
            string fill = s.PendingCount is uint p ? SocketTable.BacklogText(new ListenerFill(s, p, s.Backlog ?? 0)) : "?";
            line.Append(" backlog ").Append(fill.EndsWith("FULL", StringComparison.Ordinal) ? terminal.Paint(fill, Terminal.Red) : fill);
        }
        else
        {
            line.Append(" recvq ").Append(s.RecvQueue).Append(" sendq ").Append(s.SendQueue);
        }
        if (s.Name is { } name)
        {
            line.Append(' ').Append(name);
            if (s.File is { } f)
            {
                string file = $"(file {f.Status.ToText()}, dev {f.Device} inode {f.Inode}{(f.ResolvedPath is { } now ? $", now {now}" : "")})";
                line.Append(' ').Append(f.Status is SocketFileStatus.Deleted or SocketFileStatus.Replaced ? terminal.Paint(file, Terminal.Red) : file);
            }
        }
        if (s.InFlight)
        {
            line.Append(s.InFlightOn is uint q ? $" in flight on #{q}" : " in flight");
        }
        if (s.NetNs is ulong ns)
        {
            line.Append(terminal.Paint(s.NetNsName is { } nsName ? $" netns {ns} ({SocketName.Escape(nsName)})" : $" netns {ns}", Terminal.Dim));
        }
        output.WriteLine(line);
        string indent = new(' ', LabelWidth);
        if (s.Holders.Count == 0)
        {
            output.WriteLine($"{indent}{ends.NoHolder(s)}{(s.Uid is uint uid ? $"  owner {ends.User(s)}" : "")}");
        }
        int shown = 0;
        foreach (var h in s.Holders)
        {
            if (!table.Wide && shown++ == MaxHolders)
            {
                output.WriteLine($"{indent}... and {s.Holders.Count - MaxHolders} more holders (-w shows them all)");
                break;
            }
            var p = inventory.FindProcess(h.Pid);
            string cmdline = p is null ? "" : SocketName.Escape(string.Join(' ', p.CommandLine));
            string user = p?.User ?? p?.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
            string container = p?.Container is { } c ? $"  {c.Runtime} {SocketName.Escape(c.Name ?? "")}{(c.Id is null ? "" : " " + c.Id)}" : "";
            output.WriteLine($"{indent}{ends.Holder(h)}  user {SocketName.Escape(user)}{container}  {cmdline}");
        }
    }

    public void WriteWho(SocketInventory inventory, WhoReport report, bool fileDeleted)
    {
        var ends = new EndText(inventory, table.Selected, table.Wide);
        string path = SocketName.Escape(report.Path);
        if (report.Listeners.Count == 0 && fileDeleted)
        {
            output.WriteLine($"{path}: no such file, and no socket is bound to that name");
        }
        else if (report.Listeners.Count == 0)
        {
            output.WriteLine($"{path}: no socket is bound to this {(path.StartsWith('@') ? "name" : "file")} now");
        }
        else if (fileDeleted)
        {
            output.WriteLine($"{path}: the socket file is deleted; {report.Listeners.Count} socket(s) still bound to this name (clients can no longer connect by path)");
        }
        foreach (var l in report.Listeners)
        {
            WriteDetail(inventory, ends, l.Role == SocketRole.Listener ? "listener" : "bound", l, "server");
        }
        foreach (var s in report.Stale)
        {
            WriteDetail(inventory, ends, "older", s, null);
        }
        output.WriteLine(terminal.Paint($"connections: {report.Connections.Count}", Terminal.Bold));
        var line = new System.Text.StringBuilder(256);
        foreach (var c in report.Connections)
        {
            line.Clear().Append("  ");
            if (c.Client is null)
            {
                line.Append("(client closed)");
            }
            else
            {
                ends.Append(line, c.Client);
                AppendQueues(line, c.Client);
                if (ends.User(c.Client) is var cu && cu != "-")
                {
                    line.Append(" user ").Append(cu);
                }
                if (c.AcrossNetNs)
                {
                    line.Append(' ').Append(terminal.Paint(AcrossNetNs(inventory, c.Client), Terminal.Red));
                }
            }
            line.Append(' ').Append(c.Client is not null && c.Client.Peer == c.Server.Inode && c.Server.Peer == c.Client.Inode ? "<->" : "-->").Append(' ');
            ends.Append(line, c.Server);
            AppendQueues(line, c.Server);
            output.WriteLine(line);
        }
        if (report.Pending.Count > 0 || report.Listeners.Any(l => l.PendingCount > 0))
        {
            output.WriteLine(terminal.Paint($"pending: {report.Listeners.Sum(l => (long)(l.PendingCount ?? 0))}", Terminal.Bold));
            foreach (var s in report.Pending)
            {
                line.Clear().Append("  ");
                ends.Append(line, s);
                AppendQueues(line, s);
                line.Append(" --> #").Append(s.PendingOn).Append(" (not accepted yet)");
                output.WriteLine(line);
            }
        }
    }

    /// <summary>The who mark of a client in another network namespace than the listener: `[from netns NAME]` (its inode when it has no name).</summary>
    private static string AcrossNetNs(SocketInventory inventory, UnixSocket client)
    {
        var process = client.Holders.Count > 0 ? inventory.FindProcess(client.Holders[0].Pid) : null;
        string? name = process?.NetNs is not null ? process.NetNsName : client.NetNsName;
        ulong? inode = process?.NetNs ?? client.NetNs;
        return $"[from netns {(name is not null ? SocketName.Escape(name) : inode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?")}]";
    }

    private static void AppendQueues(System.Text.StringBuilder line, UnixSocket s)
    {
        if (s.RecvQueue > 0 || s.SendQueue > 0)
        {
            line.Append(" [recvq ").Append(s.RecvQueue).Append(" sendq ").Append(s.SendQueue).Append(']');
        }
    }

    private static string Pad(string text, int width) => text.Length >= width ? text + " " : text.PadRight(width);

    private static string Right(string text, int width) => text.PadLeft(width);
}
