using System.CommandLine;
using SockPeer.Json;
using SockPeer.Cli.Rendering;
using SockPeer.Inventory;
using SockPeer.Model;
using SockPeer.Queries;

namespace SockPeer.Cli.Commands;

/// <summary>`sockpeer peer PID FD` / `sockpeer peer INODE`: who is on the other end.</summary>
internal sealed class PeerCommand
{
    private readonly Argument<string[]> _target = new("target")
    {
        Description = "PID FD, or a socket INODE (also written socket:[INODE])",
        Arity = new ArgumentArity(1, 2),
    };
    private readonly Option<bool> _json;

    public PeerCommand(Option<bool> json)
    {
        _json = json;
        _target.HelpName = "PID FD | INODE"; // not the completion list of every running pid
        _target.CompletionSources.Add(Completions.Pids);
    }

    public Command Build()
    {
        var command = new Command("peer", "Show the socket at the other end of PID's FD (or of socket INODE), and who holds it");
        command.Arguments.Add(_target);
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

    private int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        string[] args = parse.GetValue(_target) ?? [];
        uint inode = ResolveTarget(args);
        var (inventory, report) = Snapshot.Query(parse,
            snapshot => SocketQueries.Peer(snapshot, snapshot.Find(inode) ?? throw new CliException(
                args.Length == 2
                    ? $"fd {args[1]} of process {args[0]} is socket:[{inode}], which is not a Unix socket in the namespaces covered"
                    : $"no Unix socket with inode {inode} in the namespaces covered")),
            r => r.HolderPids);
        Output.Render(parse.GetValue(_json), inventory,
            stdout => SchemaJsonWriter.WritePeer(stdout, inventory, report),
            human => human.WritePeer(report));
        return ReturnCode.Ok;
    });
}
