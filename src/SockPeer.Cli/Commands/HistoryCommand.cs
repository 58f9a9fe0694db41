using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SockPeer.Cli.Rendering;
using SockPeer.Events;
using SockPeer.Journal;
using SockPeer.Json;
using SockPeer.Model;

namespace SockPeer.Cli.Commands;

/// <summary>
/// `sockpeer history`: the events a journal holds in a time window, through list's filters, as watch
/// prints them (the same human lines, the same JSON Lines), or `--summary`: who connected to each path.
/// </summary>
internal static class HistoryCommand
{
    private static readonly Option<string> _since = new("--since")
    {
        Description = "From this time: RFC 3339 (2026-12-07T03:00:00Z), HH:MM[:SS] today (local), or relative (-2h, -30m, -7d)",
        HelpName = "TIME",
    };
    private static readonly Option<string> _until = new("--until")
    {
        Description = "Up to this time (the same forms as --since)",
        HelpName = "TIME",
    };
    private static readonly Option<string> _event = new("--event")
    {
        Description = "Only these events (comma-separated): connect, accept, close, pending, listen, unlisten, backlog, holders, warning, exists",
        HelpName = "KINDS",
    };

    private static readonly string[] SummaryHeader = ["PATH", "CLIENT", "USER", "CONTAINER", "COUNT", "FIRST", "LAST", "LONGEST", "MEDIAN"];

    public static Command Build()
    {
        var command = new Command("history", "Print the events a journal kept ('sockpeer record'), as watch prints them; --summary: per path, who connected, how often, how long");
        foreach (var o in (Option[])[RecordCommand.Db, _since, _until, _event])
        {
            command.Options.Add(o);
        }
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse) => CommandRunner.Run(() =>
    {
        GlobalOptions.Reject(parse, "history", [GlobalOptions.Output, GlobalOptions.NoHeader, GlobalOptions.Sort]);
        var socketFilter = FilterOptions.Build(parse, pidsMustExist: false);
        var filter = new SocketEventFilter(socketFilter);
        var now = DateTimeOffset.UtcNow;
        var since = Time(parse.GetValue(_since), "--since", now);
        var until = Time(parse.GetValue(_until), "--until", now);
        if (since is { } a && until is { } b && b < a)
        {
            throw new CliException("--until is before --since", ReturnCode.Usage);
        }
        var kinds = Kinds(parse.GetValue(_event));
        bool asJson = GlobalOptions.AsJson(parse);
        bool summary = parse.GetValue(GlobalOptions.Summary);
        string path = parse.GetValue(RecordCommand.Db) ?? JournalPaths.Default();

        try
        {
            return Print(JournalReader.Open(path), filter, since, until, kinds, asJson, summary);
        }
        catch (JournalException e)
        {
            throw new CliException(e.Message);
        }
    });

    private static ReturnCode Print(JournalReader journal, SocketEventFilter filter, DateTimeOffset? since, DateTimeOffset? until, string[] kinds, bool asJson, bool summary)
    {
        using (journal)
        using (var stdout = Output.OpenStdout())
        {
            var renderer = new WatchRenderer(Terminal.Detect());
            var passed = JournalHistory.Read(journal, JournalHistory.Query(filter, since, until, kinds), filter);
            if (summary)
            {
                WriteSummary(stdout, HistorySummary.Of(passed.Select(p => p.Stored)), asJson);
                return ReturnCode.Ok;
            }
            foreach (var e in passed)
            {
                if (asJson)
                {
                    stdout.Write(JournalHistory.Line(e.Stored, e.Event));
                    stdout.WriteByte((byte)'\n');
                }
                else
                {
                    stdout.Write(Encoding.UTF8.GetBytes(renderer.Line(e.Event ?? JournalHistory.Parse(e.Stored)) + "\n"));
                }
            }
            return ReturnCode.Ok;
        }
    }

    private static DateTimeOffset? Time(string? text, string option, DateTimeOffset now)
    {
        if (text is null)
        {
            return null;
        }
        return HistoryTime.TryParse(text, now, TimeZoneInfo.Local, out var t) ? t
            : throw new CliException($"{option} needs a time: RFC 3339 (2026-12-07T03:00:00Z), HH:MM[:SS] (today), or relative (-2h, -30m), not '{SocketName.Escape(text)}'", ReturnCode.Usage);
    }

    private static string[] Kinds(string? text)
        => text is null ? [] : JournalHistory.TryParseKinds(text, out var kinds, out string? error) ? kinds : throw new CliException($"--event: {error}", ReturnCode.Usage);

    private static void WriteSummary(Stream stdout, IReadOnlyList<SummaryRow> rows, bool asJson)
    {
        if (asJson)
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            foreach (var r in rows)
            {
                buffer.ResetWrittenCount();
                using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                {
                    w.WriteStartObject();
                    w.WriteNumber("schema", SchemaJsonWriter.SchemaVersion);
                    w.WriteString("path", r.Path);
                    w.WriteString("client", r.Client);
                    w.WriteString("user", r.User);
                    w.WriteString("container", r.Container);
                    w.WriteNumber("connections", r.Connections);
                    w.WriteString("firstSeen", JournalRecorder.Stamp(r.FirstSeen));
                    w.WriteString("lastSeen", JournalRecorder.Stamp(r.LastSeen));
                    Seconds(w, "longest", r.Longest);
                    Seconds(w, "median", r.Median);
                    w.WriteEndObject();
                }
                buffer.Write("\n"u8);
                stdout.Write(buffer.WrittenSpan);
            }
            return;
        }
        var lines = new List<string[]> { SummaryHeader };
        foreach (var r in rows)
        {
            lines.Add([SocketName.Escape(r.Path), SocketName.Escape(r.Client), r.User ?? "-", r.Container ?? "-", r.Connections.ToString(CultureInfo.InvariantCulture),
                Local(r.FirstSeen), Local(r.LastSeen), Span(r.Longest), Span(r.Median)]);
        }
        int[] widths = [.. Enumerable.Range(0, lines[0].Length).Select(i => lines.Max(l => l[i].Length))];
        var text = new StringBuilder();
        foreach (var l in lines)
        {
            for (int i = 0; i < l.Length; i++)
            {
                text.Append(i == 4 ? l[i].PadLeft(widths[i]) : i == l.Length - 1 ? l[i] : l[i].PadRight(widths[i]));
                text.Append(i == l.Length - 1 ? "\n" : "  ");
            }
        }
        stdout.Write(Encoding.UTF8.GetBytes(text.ToString()));

        static string Local(DateTimeOffset t) => t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        static string Span(TimeSpan? t) => t is { } s ? JournalRecorder.Span(s) : "-";
        static void Seconds(Utf8JsonWriter w, string name, TimeSpan? t)
        {
            if (t is { } s)
            {
                w.WriteNumber(name, Math.Round(s.TotalSeconds, 6));
            }
            else
            {
                w.WriteNull(name);
            }
        }
    }
}
