using System.CommandLine;
using System.Diagnostics;
using SockPeer.Cli.Rendering;
using SockPeer.Graph;
using SockPeer.Json;
using SockPeer.Model;
using SockPeer.Views;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer graph`: who talks to whom, as Graphviz DOT (default), Mermaid, SVG (through Graphviz's
/// own `dot`) or the graph JSON document. Takes list's filters; a connection is drawn when either
/// end matches.
/// </summary>
internal static class GraphCommand
{
    // graph's own --format and -o: they take the place of the global ones (human|json, COLS) for this command.
    private static readonly Option<string> Format = new("--format") { Description = "dot (Graphviz), mermaid, svg (runs Graphviz's dot) or json", DefaultValueFactory = _ => "dot" };
    private static readonly Option<string> Group = new("--group") { Description = "One node per process, command, container or unit (systemd)", DefaultValueFactory = _ => "process" };
    private static readonly Option<string?> OutputFile = new("--output", "-o") { Description = "Write to FILE instead of standard output" };

    public static Command Build()
    {
        var command = new Command("graph", "Draw who talks to whom over Unix sockets: processes as nodes, connections as edges from client to server");
        Format.AcceptOnlyFromAmong("dot", "mermaid", "svg", "json");
        Group.AcceptOnlyFromAmong("process", "command", "container", "unit");
        command.Options.Add(Format);
        command.Options.Add(Group);
        command.Options.Add(OutputFile);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        GlobalOptions.Reject(parse, "graph", [GlobalOptions.NoHeader, GlobalOptions.Sort, GlobalOptions.Summary]);
        string format = parse.GetValue(GlobalOptions.Json) ? "json" : parse.GetValue(Format) ?? "dot";
        if (!GraphText.TryParseGrouping(parse.GetValue(Group), out var grouping))
        {
            throw new CliException("--group takes process, command, container or unit", ReturnCode.Usage);
        }
        SocketFilter? filter = FilterOptions.Given(parse) ? FilterOptions.Build(parse) : null;
        string? dot = null;
        if (format == "svg")
        {
            // Before the snapshot: a missing Graphviz is the answer, however long the scan would take.
            dot = FindOnPath("dot") ?? throw new CliException("--format svg needs Graphviz's 'dot' (Debian: apt-get install graphviz); or use --format dot and render it elsewhere");
        }
        // The output file too: a path that cannot be written is the answer, before any warning.
        string? file = parse.GetValue(OutputFile);
        using var output = file is null or "-" ? Output.OpenStdout() : OpenFile(file);
        var inventory = Snapshot.Take(parse);
        var graph = SocketGraphBuilder.Build(inventory, new GraphOptions
        {
            Grouping = grouping,
            Include = filter is null ? null : s => filter.Matches(inventory, s),
        });
        if (format != "json")
        {
            Output.Warn(parse, inventory.WarningDetails);
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
        // Filters that match no socket: not found, exit 1 like list (the empty graph is still written).
        return filter is not null && graph.Nodes.Count == 0 ? ReturnCode.Failure : ReturnCode.Ok;
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
