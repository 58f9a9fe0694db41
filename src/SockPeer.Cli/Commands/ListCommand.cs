using System.CommandLine;
using SockPeer.Json;
using SockPeer.Cli.Rendering;
using SockPeer.Inventory;
using SockPeer.Model;

namespace SockPeer.Cli.Commands;

/// <summary>`sockpeer list` (also the default): every Unix socket, with filters.</summary>
internal sealed class ListCommand
{
    private readonly Option<int?> _pid = new("--pid") { Description = "Only sockets with PID at either end", CustomParser = ParsePid };
    private readonly Option<string?> _path = new("--path") { Description = "Only sockets whose name (or peer's name) matches the glob" };
    private readonly Option<string?> _type = new("--type") { Description = "stream, dgram or seqpacket" };
    private readonly Option<string?> _state = new("--state") { Description = "listening, connected or unconnected" };
    private readonly Option<string?> _user = new("--user") { Description = "Only sockets owned or held by this user (name or uid)" };
    private readonly Option<bool> _json;

    public ListCommand(Option<bool> json)
    {
        _json = json;
        _type.AcceptOnlyFromAmong("stream", "dgram", "seqpacket");
        _state.AcceptOnlyFromAmong("listening", "connected", "unconnected");
        _pid.HelpName = "pid"; // not the completion list of every running pid
        _pid.CompletionSources.Add(Completions.Pids);
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_pid);
        command.Options.Add(_path);
        command.Options.Add(_type);
        command.Options.Add(_state);
        command.Options.Add(_user);
        command.SetAction(Run);
    }

    private static int? ParsePid(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) && pid > 0)
        {
            return pid;
        }
        result.AddError($"--pid needs a process id (a positive number), not '{SocketName.Escape(text)}'");
        return null;
    }

    private int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        var filter = new SocketFilter
        {
            Pid = parse.GetValue(_pid),
            PathGlob = parse.GetValue(_path),
            Type = parse.GetValue(_type) switch
            {
                "stream" => UnixSocketType.Stream,
                "dgram" => UnixSocketType.Dgram,
                "seqpacket" => UnixSocketType.SeqPacket,
                _ => null,
            },
            State = parse.GetValue(_state) switch
            {
                "listening" => UnixSocketState.Listening,
                "connected" => UnixSocketState.Connected,
                "unconnected" => UnixSocketState.Unconnected,
                _ => null,
            },
            Uid = parse.GetValue(_user) is { } user ? SocketFilter.ResolveUser(user) : null,
        };
        if (filter.Pid is int pid && !Directory.Exists($"/proc/{pid}"))
        {
            throw new CliException($"no process {pid}"); // like lsof -p: not the same as a process without sockets
        }
        var inventory = Snapshot.Take(parse);
        using var stdout = Output.OpenStdout();
        if (parse.GetValue(_json))
        {
            IReadOnlyList<UnixSocket> sockets = inventory.Sockets;
            IReadOnlyList<ProcessInfo> processes = inventory.Processes;
            if (!filter.IsEmpty)
            {
                sockets = inventory.Sockets.Where(s => filter.Matches(inventory, s)).ToList();
                var pids = new HashSet<int>(sockets.SelectMany(s => s.Holders).Select(h => h.Pid));
                processes = inventory.Processes.Where(p => pids.Contains(p.Pid)).ToList();
            }
            SchemaJsonWriter.WriteList(stdout, inventory, sockets, processes);
        }
        else
        {
            Output.Warn(inventory.Warnings);
            using var writer = Output.Writer(stdout);
            var renderer = new HumanRenderer(writer, Terminal.Detect(), inventory);
            renderer.WriteListHeader();
            renderer.WriteList(inventory.Sockets, filter);
        }
        return ReturnCode.Ok;
    });
}
