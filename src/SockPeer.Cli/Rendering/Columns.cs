namespace SockPeer.Cli.Rendering;

/// <summary>A column of the socket table (`-o`).</summary>
internal enum Column
{
    Type,
    State,
    RecvQ,
    SendQ,
    End,
    Arrow,
    Other,
    Name,
    User,
    Backlog,
    NetNs,
    Container,
    File,
    Inode,
    Pid,
}

/// <summary>How to lay the table out: the options of `list`.</summary>
internal sealed record TableOptions
{
    /// <summary>Columns of the terminal; null: no limit (output to a pipe or file, or --wide).</summary>
    public int? Width { get; init; }
    /// <summary>Every holder of every end (no `+N in M procs`), no truncation.</summary>
    public bool Wide { get; init; }
    /// <summary>Columns asked for with -o; null: the default set.</summary>
    public IReadOnlyList<Column>? Columns { get; init; }
    public bool Header { get; init; } = true;
    /// <summary>Sort keys; a descending key is (column, true).</summary>
    public IReadOnlyList<(Column Column, bool Descending)> Sort { get; init; } = [];
    /// <summary>Pids the user selected: always shown in abbreviated holder lists.</summary>
    public IReadOnlySet<int> Selected { get; init; } = new HashSet<int>();
}

/// <summary>Column names as -o and --sort take them, and the table's headers.</summary>
internal static class Columns
{
    private static readonly (string Name, Column Column)[] Names =
    [
        ("TYPE", Column.Type), ("STATE", Column.State), ("RECVQ", Column.RecvQ), ("SENDQ", Column.SendQ),
        ("END", Column.End), ("OTHER", Column.Other), ("NAME", Column.Name), ("USER", Column.User),
        ("BACKLOG", Column.Backlog), ("NETNS", Column.NetNs), ("CONTAINER", Column.Container), ("FILE", Column.File),
        ("INODE", Column.Inode), ("PID", Column.Pid),
    ];

    public static string Known => string.Join(",", Names.Select(n => n.Name));

    /// <summary>
    /// Completions of a COL,COL list (-o, --sort) ending in <paramref name="typed"/>: the columns
    /// after the last comma (and after a '-' or '+' for --sort), the earlier ones kept, in
    /// <paramref name="upper"/> case or lower case as the help's examples write them.
    /// </summary>
    public static IEnumerable<string> Complete(string typed, bool upper, bool signs)
    {
        int comma = typed.LastIndexOf(',');
        string before = typed[..(comma + 1)];
        string part = typed[(comma + 1)..];
        if (signs && part.Length > 0 && part[0] is '-' or '+')
        {
            before += part[0];
            part = part[1..];
        }
        foreach (var (name, _) in Names)
        {
            string shown = upper ? name : name.ToLowerInvariant();
            if (shown.StartsWith(part, StringComparison.OrdinalIgnoreCase))
            {
                yield return before + shown;
            }
        }
    }

    public static string Header(Column c) => c switch
    {
        Column.Arrow => "",
        Column.Other => "OTHER END",
        _ => Names.First(n => n.Column == c).Name,
    };

    public static bool TryParse(string name, out Column column)
    {
        foreach (var (n, c) in Names)
        {
            if (string.Equals(n, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                column = c;
                return true;
            }
        }
        column = default;
        return false;
    }

    /// <summary>`-o TYPE,END,OTHER`: an OTHER column brings its arrow.</summary>
    public static List<Column> ParseList(string spec)
    {
        var list = new List<Column>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParse(part, out var c))
            {
                throw new CliException($"-o: unknown column '{Model.SocketName.Escape(part)}'; columns: {Known}", ReturnCode.Usage);
            }
            if (c == Column.Other)
            {
                list.Add(Column.Arrow);
            }
            list.Add(c);
        }
        if (list.Count == 0)
        {
            throw new CliException($"-o needs at least one column: {Known}", ReturnCode.Usage);
        }
        return list;
    }

    /// <summary>`--sort COL[,-COL]`: a leading '-' sorts that key in descending order.</summary>
    public static List<(Column, bool)> ParseSort(string spec)
    {
        var keys = new List<(Column, bool)>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            bool descending = part.StartsWith('-');
            string name = descending || part.StartsWith('+') ? part[1..] : part;
            if (!TryParse(name, out var c))
            {
                throw new CliException($"--sort: unknown column '{Model.SocketName.Escape(name)}'; columns: {Known}", ReturnCode.Usage);
            }
            keys.Add((c, descending));
        }
        if (keys.Count == 0)
        {
            throw new CliException($"--sort needs a column: {Known}", ReturnCode.Usage);
        }
        return keys;
    }
}
