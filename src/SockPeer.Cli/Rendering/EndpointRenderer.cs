using SockPeer.Endpoints;
using SockPeer.Inventory;
using SockPeer.Json;
using SockPeer.Model;

namespace SockPeer.Cli.Rendering;

/// <summary>The human view of pipes, FIFOs, ptys, TCP and UDP: the list's columns, and peer / who details.</summary>
internal sealed class EndpointRenderer(TextWriter output, Terminal terminal, SocketInventory inventory)
{
    private const int TypeWidth = 10;
    private const int StateWidth = 10;
    private const int EndWidth = 34;
    private readonly Dictionary<int, string> _processText = [];
    private readonly System.Text.StringBuilder _line = new(256);

    /// <summary>One line per connection, in the Unix list's columns: TYPE STATE END OTHER-END NAME.</summary>
    public void WriteList(IEnumerable<EndpointConnection> connections)
    {
        foreach (var c in connections)
        {
            var line = _line.Clear();
            Field(line, EndpointJsonWriter.KindText(c.Kind), TypeWidth, Terminal.Dim);
            var first = c.Ends[0];
            if (first.Pending is uint pending)
            {
                Field(line, "listen", StateWidth, Terminal.Green);
                EndField(line, first);
                line.Append("     ");
                int at = line.Length;
                line.Append("backlog ").Append(pending).Append('/').Append(first.Backlog);
                PadTo(line, at, EndWidth);
                line.Append(first.Name);
            }
            else if (c.Ends.Count == 2 && c.Kind is EndpointKind.Pipe or EndpointKind.Fifo)
            {
                // One way: the write end, then the read end it feeds.
                var (writer, reader) = first.State == "write" ? (first, c.Ends[1]) : (c.Ends[1], first);
                Field(line, "conn", StateWidth, null);
                EndField(line, writer);
                line.Append(" --> ");
                EndField(line, reader);
                line.Append(Name(c));
            }
            else if (c.Ends.Count == 2)
            {
                Field(line, "conn", StateWidth, null);
                EndField(line, first);
                line.Append(c.Kind == EndpointKind.Udp && c.Ends[1].RemotePort == 0 ? " --> " : " <-> ");
                EndField(line, c.Ends[1]);
                line.Append(Name(c));
            }
            else if (c.Listener is { } l)
            {
                Field(line, "pending", StateWidth, Terminal.Yellow);
                EndField(line, first);
                line.Append(" --> ");
                int at = line.Length;
                line.Append('#').Append(l.Id).Append(" (not accepted yet)");
                PadTo(line, at, EndWidth);
                line.Append(l.Name);
            }
            else
            {
                Field(line, first.Kind == EndpointKind.Pty ? first.State : "open", StateWidth, Terminal.Dim);
                EndField(line, first);
                // A lone read end is fed by nothing: the arrow still runs from writer to reader.
                line.Append(first.Kind is EndpointKind.Pipe or EndpointKind.Fifo && first.State == "read" ? " <-- " : " --> ");
                int at = line.Length;
                line.Append(first.Kind switch
                {
                    EndpointKind.Pty => first.State == "master" ? "(no slave open)" : "(no master open)",
                    _ => first.State == "write" ? "(no reader)" : "(no writer)",
                });
                PadTo(line, at, EndWidth);
                line.Append(Name(c));
            }
            output.WriteLine(line);
        }
    }

    private static string Name(EndpointConnection c) => c.Kind switch
    {
        EndpointKind.Pipe => "(pipe)",
        EndpointKind.Tcp or EndpointKind.Udp => c.Ends.Count == 2 ? SocketName.Escape(c.Ends[1].Name ?? "") : "",
        _ => SocketName.Escape(c.Ends[0].Name ?? ""),
    };

    /// <summary>`sockpeer peer` on a non-Unix fd.</summary>
    public void WritePeer(EndpointReport report)
    {
        WriteDetail(report.Endpoint.Kind is EndpointKind.Tcp or EndpointKind.Udp ? "socket" : "end", report.Endpoint);
        if (report.Peer is { } peer)
        {
            WriteDetail("peer", peer);
        }
        else
        {
            string why = report.Endpoint switch
            {
                { Pending: not null } => "none: a listener; see its connections with 'sockpeer who ADDR:PORT'",
                { Kind: EndpointKind.Tcp } when report.Listener is { } l => $"none yet: waiting in the accept queue of #{l.Id}",
                { Kind: EndpointKind.Pipe or EndpointKind.Fifo, State: "write" } => "none: no process has the read end open",
                { Kind: EndpointKind.Pipe or EndpointKind.Fifo } => "none: no process has the write end open",
                { Kind: EndpointKind.Pty } => "none: the other side is not open in any process",
                _ => "none: not connected",
            };
            output.WriteLine($"{terminal.Paint(Pad("peer"), Terminal.Bold)}{why}");
        }
        if (report.Listener is { } listener)
        {
            WriteDetail("listener", listener);
        }
    }

    /// <summary>`sockpeer who ADDR:PORT` or `who FIFO`.</summary>
    public void WriteWho(string target, IReadOnlyList<Endpoint> servers, IReadOnlyList<EndpointConnection> connections)
    {
        if (servers.Count == 0)
        {
            output.WriteLine($"{SocketName.Escape(target)}: nothing listens or is bound there now");
        }
        foreach (var s in servers)
        {
            WriteDetail(s.Pending is not null ? "listener" : s.Kind == EndpointKind.Fifo ? s.State == "read" ? "readers" : "writers" : "bound", s);
        }
        if (servers.Count > 0 && servers[0].Kind == EndpointKind.Fifo)
        {
            return;
        }
        output.WriteLine(terminal.Paint($"connections: {connections.Count}", Terminal.Bold));
        WriteList(connections);
    }

    private void WriteDetail(string label, Endpoint e)
    {
        output.Write(terminal.Paint(Pad(label), Terminal.Bold));
        output.Write($"{EndpointJsonWriter.KindText(e.Kind)} #{e.Id} {e.State}");
        if (e.Name is { } name)
        {
            output.Write(" " + SocketName.Escape(name));
        }
        if (e.Remote is { } remote)
        {
            output.Write(" -> " + remote);
        }
        if (e.Pending is uint p)
        {
            output.Write($" backlog {p}/{e.Backlog}");
        }
        if (e.Device is { } device)
        {
            output.Write($" (dev {device})");
        }
        if (e.NetNs is ulong ns)
        {
            output.Write(terminal.Paint($" netns {ns}", Terminal.Dim));
        }
        output.WriteLine();
        if (e.Holders.Count == 0)
        {
            output.WriteLine("          held by no process");
        }
        int shown = 0;
        foreach (var h in e.Holders)
        {
            if (shown++ == 20)
            {
                output.WriteLine($"          ... and {e.Holders.Count - 20} more holders");
                break;
            }
            var pr = inventory.FindProcess(h.Pid);
            string cmdline = pr is null ? "" : SocketName.Escape(string.Join(' ', pr.CommandLine));
            string user = pr?.User ?? pr?.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
            output.WriteLine($"          {Process(h.Pid)}:{h.Fd} {EndpointJsonWriter.AccessText(h.Access)}  user {SocketName.Escape(user)}  {cmdline}");
        }
    }

    private void EndField(System.Text.StringBuilder line, Endpoint e)
    {
        int at = line.Length;
        if (e.Holders.Count == 0)
        {
            line.Append("(no holder)");
        }
        else
        {
            var h = e.Holders[0];
            line.Append(Process(h.Pid)).Append(':').Append(h.Fd);
            if (e.Holders.Count > 1)
            {
                line.Append(" +").Append(e.Holders.Count - 1);
            }
        }
        line.Append(" #").Append(e.Id);
        PadTo(line, at, EndWidth);
    }

    private string Process(int pid)
    {
        if (!_processText.TryGetValue(pid, out string? text))
        {
            var p = inventory.FindProcess(pid);
            _processText[pid] = text = $"{(p is null ? "?" : SocketName.Escape(p.Command))}[{pid}]";
        }
        return text;
    }

    private void Field(System.Text.StringBuilder line, string text, int width, string? color)
    {
        terminal.Paint(line, text, color);
        line.Append(' ', Math.Max(1, width - text.Length));
    }

    private static void PadTo(System.Text.StringBuilder line, int start, int width)
        => line.Append(' ', Math.Max(1, width - (line.Length - start)));

    private static string Pad(string text) => text.Length >= 10 ? text + " " : text.PadRight(10);
}
