using System.CommandLine;
using System.Globalization;
using SockPeer.Model;
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
        Description = "stream, dgram or seqpacket (comma-separated for several)",
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
    public static SocketFilter Build(ParseResult parse)
    {
        var pids = new HashSet<int>();
        foreach (string text in Split(parse.GetValue(Pid)))
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0)
            {
                throw new CliException($"--pid needs a process id (a positive number), not '{SocketName.Escape(text)}'", ReturnCode.Usage);
            }
            pids.Add(pid);
        }
        NameGlob? glob = null;
        if (parse.GetValue(Path) is { } pattern && !NameGlob.TryParse(pattern, out glob, out string? error))
        {
            throw new CliException($"--path: {SocketName.Escape(error!)}", ReturnCode.Usage);
        }
        var types = new HashSet<UnixSocketType>();
        foreach (string text in Split(parse.GetValue(Type) is { } t ? [t] : null))
        {
            types.Add(text.ToLowerInvariant() switch
            {
                "stream" => UnixSocketType.Stream,
                "dgram" or "datagram" => UnixSocketType.Dgram,
                "seqpacket" => UnixSocketType.SeqPacket,
                _ => throw new CliException($"--type takes stream, dgram or seqpacket, not '{SocketName.Escape(text)}'", ReturnCode.Usage),
            });
        }
        var states = new HashSet<UnixSocketState>();
        var kinds = new HashSet<SocketKind>();
        foreach (string text in Split(parse.GetValue(State) is { } st ? [st] : null))
        {
            switch (text.ToLowerInvariant())
            {
                case "listening": states.Add(UnixSocketState.Listening); break;
                case "connected": states.Add(UnixSocketState.Connected); break;
                case "unconnected": states.Add(UnixSocketState.Unconnected); break;
                default:
                    if (!SocketKindText.TryParse(text, out var kind))
                    {
                        throw new CliException($"--state takes listen, conn, pending, pair, bound, unconn, closed, inflight, listening, connected or unconnected, not '{SocketName.Escape(text)}'", ReturnCode.Usage);
                    }
                    kinds.Add(kind);
                    break;
            }
        }
        var uids = new HashSet<uint>();
        foreach (string user in Split(parse.GetValue(User)))
        {
            uids.Add(ResolveUser(user));
        }
        foreach (int pid in pids)
        {
            if (!Directory.Exists($"/proc/{pid}"))
            {
                throw new CliException($"no process {pid}"); // like lsof -p: not the same as a process without sockets
            }
        }
        return new SocketFilter { Pids = pids, Name = glob, Types = types, States = states, Kinds = kinds, Uids = uids };
    }

    private static IEnumerable<string> Split(string[]? values)
    {
        foreach (string value in values ?? [])
        {
            if (value.Length == 0)
            {
                yield return value;
            }
            foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                yield return part;
            }
        }
    }

    /// <summary>
    /// A uid, or a name from /etc/passwd (the user database the inventory reads). An unknown name is
    /// an error, as for lsof -u and ps -u: a typo must not look like "no sockets".
    /// </summary>
    public static uint ResolveUser(string user, string passwdPath = "/etc/passwd")
    {
        if (uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out uint uid))
        {
            return uid;
        }
        try
        {
            foreach (var line in File.ReadLines(passwdPath))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[0] == user && uint.TryParse(fields[2], out uid))
                {
                    return uid;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {passwdPath} to look up user '{SocketName.Escape(user)}': {e.Message}");
        }
        throw new CliException($"no user named '{SocketName.Escape(user)}'");
    }
}
