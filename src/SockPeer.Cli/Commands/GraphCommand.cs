using System.CommandLine;
using System.Diagnostics;
using SockPeer.Cli.Rendering;
using SockPeer.Graph;
using SockPeer.Json;
using SockPeer.Model;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer graph`: who talks to whom, as Graphviz DOT (default), Mermaid, SVG (through Graphviz's
/// own `dot`) or the graph JSON document. Takes list's filters; a connection is drawn when either
/// end matches.
/// </summary>
internal sealed class GraphCommand(Option<bool> json)
{
    private readonly Option<string> _format = new("--format") { Description = "dot (Graphviz), mermaid, svg (runs Graphviz's dot) or json", DefaultValueFactory = _ => "dot" };
    private readonly Option<string> _group = new("--group") { Description = "One node per process, command, container or unit (systemd)", DefaultValueFactory = _ => "process" };
    private readonly Option<string?> _output = new("--output", "-o") { Description = "Write to FILE instead of standard output" };
    private readonly ListFilterOptions _filter = new();

    public Command Build()
    {
        var command = new Command("graph", "Draw who talks to whom over Unix sockets: processes as nodes, connections as edges from client to server");
        _format.AcceptOnlyFromAmong("dot", "mermaid", "svg", "json");
        _group.AcceptOnlyFromAmong("process", "command", "container", "unit");
        command.Options.Add(_format);
        command.Options.Add(_group);
        command.Options.Add(_output);
        _filter.AddTo(command);
        command.SetAction(Run);
        return command;
    }

    private int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        string format = parse.GetValue(json) ? "json" : parse.GetValue(_format) ?? "dot";
        if (!GraphText.TryParseGrouping(parse.GetValue(_group), out var grouping))
        {
            throw new CliException("--group takes process, command, container or unit", ReturnCode.Usage);
        }
        var filter = _filter.Build(parse);
        string? dot = null;
        if (format == "svg")
        {
            // Before the snapshot: a missing Graphviz is the answer, however long the scan would take.
            dot = FindOnPath("dot") ?? throw new CliException("--format svg needs Graphviz's 'dot' (Debian: apt-get install graphviz); or use --format dot and render it elsewhere");
        }
        // The output file too: a path that cannot be written is the answer, before any warning.
        string? file = parse.GetValue(_output);
        using var output = file is null or "-" ? Output.OpenStdout() : OpenFile(file);
        var inventory = Snapshot.Take(parse);
        var graph = SocketGraphBuilder.Build(inventory, new GraphOptions
        {
            Grouping = grouping,
            Include = filter is null ? null : s => filter.Matches(inventory, s),
        });
        if (format != "json")
        {
            Output.Warn(inventory.Warnings);
        }
        switch (format)
        {
            case "json":
                GraphJsonWriter.Write(output, graph);
                break;
            case "mermaid":
                using (var w = Output.Writer(output))
                {
                    MermaidWriter.Write(w, graph);
                }
                break;
            case "svg":
                RunGraphviz(dot!, graph, output);
                break;
            default:
                using (var w = Output.Writer(output))
                {
                    DotWriter.Write(w, graph);
                }
                break;
        }
        return ReturnCode.Ok;
    });

    private static Stream OpenFile(string file)
    {
        try
        {
            return new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException($"cannot write {SocketName.Escape(file)}: {e.Message}");
        }
    }

    /// <summary>Pipes the DOT text through `dot -Tsvg` into <paramref name="output"/>.</summary>
    private static void RunGraphviz(string dot, SocketGraph graph, Stream output)
    {
        var info = new ProcessStartInfo(dot)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-Tsvg");
        using var process = Process.Start(info) ?? throw new CliException($"cannot start {dot}");
        var stderr = process.StandardError.ReadToEndAsync();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        using (var w = Output.Writer(process.StandardInput.BaseStream))
        {
            DotWriter.Write(w, graph);
        }
        copy.GetAwaiter().GetResult();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string first = stderr.GetAwaiter().GetResult().Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            throw new CliException($"Graphviz's dot failed (exit {process.ExitCode}): {first}");
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}

/// <summary>
/// list's filter options (--pid, --path, --type, --state, --user) for a command that is not list,
/// turned into the engine's socket predicate through today's <see cref="SocketFilter"/>. An adapter:
/// when the filter moves into the engine, only <see cref="Build"/> changes.
/// </summary>
internal sealed class ListFilterOptions
{
    private readonly Option<int?> _pid = new("--pid") { Description = "Only connections with PID at either end" };
    private readonly Option<string?> _path = new("--path") { Description = "Only connections whose socket name (or peer's) matches the glob" };
    private readonly Option<string?> _type = new("--type") { Description = "stream, dgram or seqpacket" };
    private readonly Option<string?> _state = new("--state") { Description = "listening, connected or unconnected" };
    private readonly Option<string?> _user = new("--user") { Description = "Only sockets owned or held by this user (name or uid)" };

    public void AddTo(Command command)
    {
        _type.AcceptOnlyFromAmong("stream", "dgram", "seqpacket");
        _state.AcceptOnlyFromAmong("listening", "connected", "unconnected");
        _pid.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is <= 0)
            {
                r.AddError("--pid needs a process id (a positive number)");
            }
        });
        command.Options.Add(_pid);
        command.Options.Add(_path);
        command.Options.Add(_type);
        command.Options.Add(_state);
        command.Options.Add(_user);
    }

    /// <summary>The filter; null when none was given. Checked before the snapshot is taken.</summary>
    public SocketFilter? Build(ParseResult parse)
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
            throw new CliException($"no process {pid}");
        }
        return filter.IsEmpty ? null : filter;
    }
}
