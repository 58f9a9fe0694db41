using System.CommandLine;
using SockPeer.Views;

namespace SockPeer.Cli.Commands;

/// <summary>
/// The socket filters of `list`, as global options: they parse before or after the subcommand and
/// after its arguments, and a command that lists sockets (list, watch, serve, graph) turns them into
/// the engine's <see cref="SocketFilter"/> with <see cref="Build"/>. A command that cannot honour
/// them calls <see cref="GlobalOptions.Reject"/>, so a filter is never dropped silently.
/// </summary>
internal static class FilterOptions
{
    public static readonly Option<string[]> Pid = new("--pid", "-p")
    {
        Description = "Only sockets a PID holds at either end (repeat it or give PID,PID)",
        Recursive = true,
        HelpName = "PID",
    };

    public static readonly Option<string> Path = new("--path")
    {
        Description = "Only sockets whose name (or other end's) matches the GLOB; without '/', the last path component is matched too",
        Recursive = true,
        HelpName = "GLOB",
    };

    public static readonly Option<string> Type = new("--type", "-t")
    {
        Description = "stream, dgram (or datagram) or seqpacket, in any case (comma-separated for several)",
        Recursive = true,
        HelpName = "TYPE",
    };

    public static readonly Option<string> State = new("--state")
    {
        Description = "The table's words: listen, conn, pending, pair, bound, unconn, closed, inflight; or the kernel's: listening, connected, unconnected (comma-separated for several)",
        Recursive = true,
        HelpName = "STATE",
    };

    public static readonly Option<string[]> User = new("--user", "-u")
    {
        Description = "Only sockets owned or held by this user (name or uid; repeat or comma-separate)",
        Recursive = true,
        HelpName = "USER",
    };

    public static IEnumerable<Option> All => [Pid, Path, Type, State, User];

    /// <summary>Adds the filters to a command (the root: they are recursive, so every subcommand has them).</summary>
    public static void AddTo(Command command)
    {
        Pid.CompletionSources.Add(Completions.Pids);
        // Parsed by hand (case-insensitive, comma lists), so the words are offered here.
        Type.CompletionSources.Add("stream", "dgram", "seqpacket");
        State.CompletionSources.Add("listen", "conn", "pending", "pair", "bound", "unconn", "closed", "inflight", "listening", "connected", "unconnected");
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Whether the command line gave any filter.</summary>
    public static bool Given(ParseResult parse) => All.Any(o => GlobalOptions.IsGiven(parse, o));

    /// <summary>The engine filter the command line asks for; a bad value is a usage error, a pid no process has a failure.</summary>
    public static SocketFilter Build(ParseResult parse) => Build(parse, pidsMustExist: true);

    /// <summary>As <see cref="Build(ParseResult)"/>; <c>history</c> asks about pids that are gone, so it passes false.</summary>
    public static SocketFilter Build(ParseResult parse, bool pidsMustExist)
    {
        // The options as the engine's (name, value) pairs: the engine reads the words.
        var values = new List<(string, string)>();
        values.AddRange((parse.GetValue(Pid) ?? []).Select(v => ("pid", v)));
        if (parse.GetValue(Path) is { } path)
        {
            values.Add(("path", path));
        }
        if (parse.GetValue(Type) is { } type)
        {
            values.Add(("type", type));
        }
        if (parse.GetValue(State) is { } state)
        {
            values.Add(("state", state));
        }
        values.AddRange((parse.GetValue(User) ?? []).Select(v => ("user", v)));
        if (!SocketFilterParser.TryParse(values, out var filter, out var error, optionPrefix: "--"))
        {
            throw new CliException(error.Message, error.IsUsage ? ReturnCode.Usage : ReturnCode.Failure);
        }
        foreach (int pid in pidsMustExist ? filter.Pids : new HashSet<int>())
        {
            if (!Directory.Exists($"/proc/{pid}"))
            {
                throw new CliException($"no process {pid}"); // like lsof -p: not the same as a process without sockets
            }
        }
        return filter;
    }
}
