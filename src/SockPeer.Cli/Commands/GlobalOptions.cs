using System.CommandLine;
using SockPeer.Cli.Rendering;

namespace SockPeer.Cli.Commands;

/// <summary>
/// Options every command parses wherever they stand on the line (before or after the subcommand
/// and its arguments): the output format, quiet, and the table's layout. A command honours those it
/// can and refuses the others with a usage error through <see cref="Reject"/>, never ignoring one.
/// </summary>
internal static class GlobalOptions
{
    public static readonly Option<bool> Json = new("--json", "-j")
    {
        Description = "Write JSON (schema 1, see docs/schema.md); the same as --format json",
        Recursive = true,
    };

    public static readonly Option<string> Format = new("--format")
    {
        Description = "human (default) or json",
        Recursive = true,
        HelpName = "FORMAT",
    };

    public static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "No warnings or hints on stderr (JSON keeps its warnings)",
        Recursive = true,
    };

    public static readonly Option<bool> Wide = new("--wide", "-w")
    {
        Description = "Every holder of every socket, and no truncation to the terminal's width",
        Recursive = true,
    };

    public static readonly Option<string> Output = new("--output", "-o")
    {
        Description = $"Columns to show, comma-separated: {Columns.Known}",
        Recursive = true,
        HelpName = "COLS",
    };

    public static readonly Option<bool> NoHeader = new("--no-header", "-H")
    {
        Description = "No header line",
        Recursive = true,
    };

    public static readonly Option<string> Sort = new("--sort")
    {
        Description = "Sort rows by a column (-COL: descending; COL,COL for ties), e.g. --sort -recvq",
        Recursive = true,
        HelpName = "COL",
    };

    public static readonly Option<bool> Summary = new("--summary", "-s")
    {
        Description = "Counts by type and state, queues in use and the fullest listeners (like ss -s)",
        Recursive = true,
    };

    /// <summary>The table options: they apply to `list` (and `peer PID`).</summary>
    public static IEnumerable<Option> Table => [Output, NoHeader, Sort, Summary];

    public static void AddTo(Command root)
    {
        foreach (var option in new Option[] { Json, Format, Quiet, Wide, Output, NoHeader, Sort, Summary })
        {
            root.Options.Add(option);
        }
        Format.AcceptOnlyFromAmong("human", "json");
        Output.CompletionSources.Add(c => Columns.Complete(c.WordToComplete, upper: true, signs: false).Select(n => new System.CommandLine.Completions.CompletionItem(n)));
        Sort.CompletionSources.Add(c => Columns.Complete(c.WordToComplete, upper: false, signs: true).Select(n => new System.CommandLine.Completions.CompletionItem(n)));
    }

    /// <summary>Whether the option was written on the command line (not a default).</summary>
    public static bool IsGiven(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    public static bool AsJson(ParseResult parse) => parse.GetValue(Json) || parse.GetValue(Format) == "json";

    /// <summary>A usage error for any of <paramref name="options"/> given to <paramref name="command"/>, which cannot honour it.</summary>
    public static void Reject(ParseResult parse, string command, IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            if (IsGiven(parse, option))
            {
                throw new CliException($"{option.Name} does not apply to '{command}' (it is an option of 'sockpeer list')", ReturnCode.Usage);
            }
        }
    }

    /// <summary>The width the table must fit: COLUMNS when set, else the terminal's; none for a pipe or file (like ps).</summary>
    public static int? Width()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0)
        {
            return columns;
        }
        return Console.IsOutputRedirected ? null : Interop.FileDescriptorStream.TerminalColumns(1);
    }

    public static TableOptions TableOptions(ParseResult parse, IReadOnlySet<int> selected) => new()
    {
        Width = Width(),
        Wide = parse.GetValue(Wide),
        Columns = parse.GetValue(Output) is { } cols ? Columns.ParseList(cols) : null,
        Header = !parse.GetValue(NoHeader),
        Sort = parse.GetValue(Sort) is { } sort ? Columns.ParseSort(sort) : [],
        Selected = selected,
    };
}
