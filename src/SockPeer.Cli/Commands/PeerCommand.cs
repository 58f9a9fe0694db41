using System.CommandLine;
using SockPeer.Cli.Rendering;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;
using SockPeer.Views;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer peer PID FD` / `sockpeer peer INODE`: who is on the other end. `sockpeer peer PID`
/// (a number that is a process and no socket's inode) lists that process's sockets with their
/// other ends, and hints at the fd form.
/// </summary>
internal static class PeerCommand
{
    private static readonly Argument<string[]> Target = new("target")
    {
        Description = "PID FD, a socket INODE (also written socket:[INODE]), or a PID alone for all its sockets",
        Arity = new ArgumentArity(1, 2),
        HelpName = "PID FD | INODE | PID", // not the completion list of every running pid
    };

    public static Command Build()
    {
        var command = new Command("peer", "Show the socket at the other end of PID's FD (or of socket INODE), who holds it, and its listener");
        Target.CompletionSources.Add(Completions.Pids);
        command.Arguments.Add(Target);
        command.SetAction(Run);
        return command;
    }

    public static uint ResolveTarget(string[] args)
    {
        if (args.Length == 2)
        {
            if (!int.TryParse(args[0], out int pid) || pid <= 0)
            {
                throw new CliException($"'{SocketName.Escape(args[0])}' is not a process id", ReturnCode.Usage);
            }
            if (!int.TryParse(args[1], out int fd) || fd < 0)
            {
                throw new CliException($"'{SocketName.Escape(args[1])}' is not a file descriptor number", ReturnCode.Usage);
            }
            return SocketQueries.LookupFd(pid, fd, out uint inode, out string target) switch
            {
                FdLookupStatus.Socket => inode,
                FdLookupStatus.NoProcess => throw new CliException($"no process {pid}"),
                FdLookupStatus.NoFd => throw new CliException($"process {pid} has no fd {fd}"),
                FdLookupStatus.Denied => throw new CliException($"cannot read the fds of process {pid}: permission denied"),
                _ => throw new CliException($"fd {fd} of process {pid} is not a socket ({target})"),
            };
        }
        string text = args[0];
        if (text.StartsWith("socket:[", StringComparison.Ordinal) && text.EndsWith(']'))
        {
            text = text[8..^1];
        }
        if (!uint.TryParse(text, out uint ino) || ino == 0)
        {
            throw new CliException($"'{SocketName.Escape(args[0])}' is not a socket inode; give PID FD, INODE or socket:[INODE]", ReturnCode.Usage);
        }
        return ino;
    }

    private static int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        GlobalOptions.Reject(parse, "peer", FilterOptions.All);
        string[] args = parse.GetValue(Target) ?? [];
        if (EndpointQueries.PeerOfFile(parse, GlobalOptions.AsJson(parse), args) is ReturnCode answered)
        {
            return answered; // a pipe, FIFO or pty, or one line saying the fd has no other end
        }
        uint inode = ResolveTarget(args);
        bool bare = args.Length == 1 && !args[0].StartsWith("socket:", StringComparison.Ordinal);
        var snapshot = Snapshot.Take(parse, processDetails: false, out var reader);
        if (snapshot.Find(inode) is null && bare && inode <= int.MaxValue && Directory.Exists($"/proc/{inode}"))
        {
            return ProcessSockets(parse, snapshot, reader, (int)inode);
        }
        GlobalOptions.Reject(parse, "peer PID FD", GlobalOptions.Table);
        if (snapshot.Find(inode) is not { } socket)
        {
            return EndpointQueries.PeerOfSocket(parse, GlobalOptions.AsJson(parse), args, inode); // TCP or UDP, or one line saying what it is not
        }
        var bareReport = SocketQueries.Peer(snapshot, socket);
        var inventory = reader.WithProcesses(snapshot, bareReport.HolderPids);
        var report = SocketQueries.Peer(inventory, inventory.Find(inode)!);
        UnixSocket?[] shown = [report.Socket, report.Peer, report.Listener];
        Output.Render(parse, inventory, shown.OfType<UnixSocket>(), completeList: false, new HashSet<int>(),
            r => r.WritePeer(inventory, report));
        return ReturnCode.Ok;
    });

    /// <summary>`peer PID`: the process's sockets as `list --pid PID` shows them.</summary>
    private static ReturnCode ProcessSockets(ParseResult parse, SocketInventory bare, SocketInventoryReader reader, int pid)
    {
        var filter = new SocketFilter { Pids = new HashSet<int> { pid } };
        var matched = ListCommand.Select(bare, filter);
        var inventory = reader.WithProcesses(bare, [.. SocketInventory.HolderPidsOf(matched)]);
        matched = ListCommand.Select(inventory, filter);
        if (matched.Count == 0 && !GlobalOptions.AsJson(parse))
        {
            // Not found, and the answer goes to stdout like every not-found answer: one line saying so
            // (the warnings that may explain it on stderr), never a bare table header.
            Output.Render(parse, inventory, matched, completeList: true, filter.Pids, _ => { });
            Output.Text(1).WriteLine($"process {pid} holds no Unix socket; 'sockpeer peer INODE' takes a socket inode");
            return ReturnCode.Failure;
        }
        Output.Render(parse, inventory, matched, completeList: true, filter.Pids, r => r.WriteList(inventory, new ListAnswer(inventory, matched)));
        if (matched.Count == 0)
        {
            return ReturnCode.Failure; // --json: the empty document, exit 1
        }
        Output.Hint(parse, $"these are the sockets of process {pid}; 'sockpeer peer {pid} FD' shows one in detail");
        return ReturnCode.Ok;
    }
}
