using System.CommandLine;
using SockPeer.Cli.Rendering;
using SockPeer.Endpoints;
using SockPeer.Inventory;
using SockPeer.Json;
using SockPeer.Model;
using SockPeer.Views;
using SockPeer.Queries;

namespace SockPeer.Cli.Commands;

/// <summary>peer, who and list for the endpoint kinds beside Unix sockets: pipes, FIFOs, ptys, TCP, UDP.</summary>
internal static class EndpointQueries
{
    /// <summary>`list --kind`: unix (the default), pipe, fifo, pty, tcp, udp, comma-separated, or all.</summary>
    public static Option<string> KindOption() => new("--kind")
    {
        Description = "Endpoint kinds to list: unix (default), pipe, fifo, pty, tcp, udp, comma-separated, or all",
        DefaultValueFactory = _ => "unix",
    };

    /// <summary>Parses --kind into whether Unix sockets are listed and which other kinds.</summary>
    public static (bool Unix, EndpointKinds Others) ParseKinds(string text)
    {
        bool unix = false;
        var kinds = EndpointKinds.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            switch (part)
            {
                case "all": unix = true; kinds = EndpointKinds.All; break;
                case "unix": unix = true; break;
                case "pipe": kinds |= EndpointKinds.Pipe; break;
                case "fifo": kinds |= EndpointKinds.Fifo; break;
                case "pty": kinds |= EndpointKinds.Pty; break;
                case "tcp": kinds |= EndpointKinds.Tcp; break;
                case "udp": kinds |= EndpointKinds.Udp; break;
                default:
                    throw new CliException($"--kind takes unix, pipe, fifo, pty, tcp, udp (comma-separated) or all, not '{SocketName.Escape(part)}'", ReturnCode.Usage);
            }
        }
        if (!unix && kinds == EndpointKinds.None)
        {
            throw new CliException("--kind needs at least one kind", ReturnCode.Usage);
        }
        return (unix, kinds);
    }

    /// <summary>`list --kind ...` with kinds beside Unix sockets.</summary>
    public static ReturnCode List(ParseResult parse, bool json, SocketFilter filter, bool unix, EndpointKinds kinds)
    {
        var inventory = Snapshot.Take(parse, processDetails: true, out _, kinds);
        IReadOnlyList<EndpointConnection> connections = inventory.Endpoints?.Connections ?? [];
        if (filter.Pids.Count > 0)
        {
            connections = connections.Where(c => c.Ends.Any(e => e.Holders.Any(h => filter.Pids.Contains(h.Pid)))).ToList();
        }
        IReadOnlyList<UnixSocket> sockets = unix ? ListCommand.Select(inventory, filter) : [];
        using var stdout = Output.OpenStdout();
        if (json)
        {
            var endpointPids = connections.SelectMany(c => c.Ends).SelectMany(e => e.Holders).Select(h => h.Pid);
            var processes = inventory.ProcessesOf(SocketInventory.HolderPidsOf(sockets).Concat(endpointPids));
            SchemaJsonWriter.WriteList(stdout, inventory, sockets, processes, connections);
            return NotFound(filter, sockets, connections);
        }
        if (unix)
        {
            stdout.Dispose();
            Output.Render(parse, inventory, sockets, completeList: true, filter.Pids, r => r.WriteList(inventory, new ListAnswer(inventory, sockets)));
        }
        else if (!parse.GetValue(GlobalOptions.Quiet))
        {
            Output.Warn(parse, inventory.WarningDetails);
        }
        using var endpointsOut = Output.OpenStdout();
        using var writer = Output.Writer(endpointsOut);
        new EndpointRenderer(writer, Terminal.Detect(), inventory).WriteList(connections);
        return NotFound(filter, sockets, connections);
    }

    /// <summary>The not-found rule of `list`, whatever the kinds: filters given and nothing matched is exit 1 (the answer is on stdout all the same).</summary>
    private static ReturnCode NotFound(SocketFilter filter, IReadOnlyList<UnixSocket> sockets, IReadOnlyList<EndpointConnection> connections)
        => !filter.IsEmpty && sockets.Count == 0 && connections.Count == 0 ? ReturnCode.Failure : ReturnCode.Ok;

    /// <summary>
    /// `peer PID FD` when FD is not a socket: a pipe, FIFO or pty is answered here, anything else is
    /// one line saying what it is. Null when FD is a socket (or the arguments are not PID FD).
    /// </summary>
    public static ReturnCode? PeerOfFile(ParseResult parse, bool json, string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[0], out int pid) || pid <= 0 || !int.TryParse(args[1], out int fd) || fd < 0)
        {
            return null;
        }
        if (SocketQueries.LookupFd(pid, fd, out _, out string target) != FdLookupStatus.NotSocket)
        {
            return null;
        }
        EndpointKinds kind;
        if (target.StartsWith("pipe:[", StringComparison.Ordinal))
        {
            kind = EndpointKinds.Pipe;
        }
        else if (target == "/dev/ptmx" || target.EndsWith("/pts/ptmx", StringComparison.Ordinal) || target.StartsWith("/dev/pts/", StringComparison.Ordinal))
        {
            kind = EndpointKinds.Pty;
        }
        else
        {
            ushort? type = EndpointLookup.FdFileType(pid, fd);
            if (type != 0x1000)
            {
                throw new CliException($"fd {fd} of process {pid} is {EndpointLookup.Describe(type, target)} ({target}), not a socket, pipe, FIFO or pty: it has no other end");
            }
            kind = EndpointKinds.Fifo;
        }
        var bare = Snapshot.Take(parse, processDetails: false, out var reader, kind);
        var report = bare.Endpoints?.FindFd(pid, fd) ?? throw new CliException($"fd {fd} of process {pid} ({target}) was not seen in the /proc walk: it closed meanwhile");
        var inventory = reader.WithProcesses(bare, report.HolderPids);
        report = inventory.Endpoints?.FindFd(pid, fd) ?? report;
        Render(parse, json, inventory, report);
        return ReturnCode.Ok;
    }

    /// <summary>`peer` on a socket that is not an AF_UNIX socket: TCP or UDP, local or not.</summary>
    public static ReturnCode PeerOfSocket(ParseResult parse, bool json, string[] args, uint inode)
    {
        string what = args.Length == 2 ? $"fd {args[1]} of process {args[0]}" : $"socket {inode}";
        var bare = Snapshot.Take(parse, processDetails: false, out var reader, EndpointKinds.Tcp | EndpointKinds.Udp);
        var report = bare.Endpoints?.FindSocket(inode)
            ?? throw new CliException(args.Length == 2
                ? $"{what} is socket:[{inode}], not a Unix socket, nor a bound or connected TCP or UDP socket in the namespaces covered"
                : $"no Unix, TCP or UDP socket with inode {inode} in the namespaces covered");
        var e = report.Endpoint;
        if (report.Peer is null && report.Listener is null && e.Pending is null)
        {
            string kind = e.Kind == EndpointKind.Tcp ? "TCP" : "UDP";
            throw new CliException(e.Remote is null
                ? $"{what} is an unconnected {kind} socket bound to {e.Name} ({e.State}): it has no other end"
                : $"{what} is a {kind} connection from {e.Name} to {e.Remote} ({e.State}), whose other end is not on this host (no socket in its network namespace has that address pair)");
        }
        var inventory = reader.WithProcesses(bare, report.HolderPids);
        Render(parse, json, inventory, report);
        return ReturnCode.Ok;
    }

    private static void Render(ParseResult parse, bool json, SocketInventory inventory, EndpointReport report)
    {
        var pids = new HashSet<int>(report.HolderPids);
        var processes = inventory.Processes.Where(p => pids.Contains(p.Pid)).ToList();
        using var stdout = Output.OpenStdout();
        if (json)
        {
            EndpointJsonWriter.WritePeer(stdout, inventory, report, processes);
            return;
        }
        Output.Warn(parse, inventory.WarningDetails);
        using var writer = Output.Writer(stdout);
        new EndpointRenderer(writer, Terminal.Detect(), inventory).WritePeer(report);
    }

    /// <summary>`who ADDR:PORT` or `who FIFO`; null when the target is neither (a socket path goes the Unix way).</summary>
    public static ReturnCode? Who(ParseResult parse, bool json, string target)
    {
        if (TryParseAddressPort(target, out var address, out ushort port))
        {
            var bare = Snapshot.Take(parse, processDetails: false, out var reader, EndpointKinds.Tcp | EndpointKinds.Udp);
            var servers = bare.Endpoints?.FindServers(address, port) ?? [];
            var connections = servers.SelectMany(s => s.Connections).ToList();
            var listed = servers.Select(s => s.Server).ToList();
            WriteWho(parse, json, reader, bare, target, listed, connections);
            return listed.Count == 0 ? ReturnCode.Failure : ReturnCode.Ok; // not found: the answer says so, exit 1
        }
        if (SocketQueries.LookupPath(target, out _, out _, out _) != PathLookupStatus.NotSocket
            || !EndpointLookup.IsFifo(target, out uint major, out uint minor, out ulong inode))
        {
            return null;
        }
        var snapshot = Snapshot.Take(parse, processDetails: false, out var fifoReader, EndpointKinds.Fifo);
        var fifo = snapshot.Endpoints?.FindFifo(major, minor, inode);
        IReadOnlyList<Endpoint> ends = fifo?.Ends ?? [];
        WriteWho(parse, json, fifoReader, snapshot, target, ends, []);
        return ends.Count == 0 ? ReturnCode.Failure : ReturnCode.Ok; // no process has the FIFO open: not found
    }

    private static void WriteWho(ParseResult parse, bool json, SocketInventoryReader reader, SocketInventory bare, string target, IReadOnlyList<Endpoint> servers, IReadOnlyList<EndpointConnection> connections)
    {
        var pids = new SortedSet<int>();
        foreach (var e in servers.Concat(connections.SelectMany(c => c.Ends)))
        {
            foreach (var h in e.Holders)
            {
                pids.Add(h.Pid);
            }
        }
        var inventory = reader.WithProcesses(bare, pids);
        var processes = inventory.Processes.Where(p => pids.Contains(p.Pid)).ToList();
        using var stdout = Output.OpenStdout();
        if (json)
        {
            EndpointJsonWriter.WriteWho(stdout, inventory, target, servers, connections, processes);
            return;
        }
        Output.Warn(parse, inventory.WarningDetails);
        using var writer = Output.Writer(stdout);
        new EndpointRenderer(writer, Terminal.Detect(), inventory).WriteWho(target, servers, connections);
    }

    /// <summary>`127.0.0.1:80`, `[::1]:80`, `0.0.0.0:80`.</summary>
    public static bool TryParseAddressPort(string text, out InetAddress address, out ushort port)
    {
        address = default;
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port))
        {
            return false;
        }
        string host = text[..colon];
        if (host.Contains(':') && !(host.StartsWith('[') && host.EndsWith(']')))
        {
            return false; // bare IPv6 needs brackets
        }
        return InetAddress.TryParse(host, out address);
    }
}
